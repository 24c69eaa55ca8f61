import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorBanner } from '../components';

/** Keeps one broken screen from blanking the whole window; the sidebar stays usable. */
export class ErrorBoundary extends Component<
  { children: ReactNode; resetKey: string },
  { error: Error | null; key: string }
> {
  override state = { error: null as Error | null, key: this.props.resetKey };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { error: Error | null; key: string }) {
    // Navigating elsewhere clears the error.
    return props.resetKey !== state.key ? { error: null, key: props.resetKey } : null;
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('screen crashed', error, info.componentStack);
  }

  override render() {
    if (this.state.error) {
      return (
        <ErrorBanner title="This screen hit an unexpected problem" error={{ message: this.state.error.message }} />
      );
    }
    return this.props.children;
  }
}
