/** The GitLab tanuki, drawn here (no remote images under the CSP). `mono` uses the text colour. */
export function GitLabLogo({ size = 20, mono = false }: { size?: number; mono?: boolean }) {
  const [dark, mid, light] = mono
    ? ['currentColor', 'currentColor', 'currentColor']
    : ['#E24329', '#FC6D26', '#FCA326'];
  return (
    <svg width={size} height={size} viewBox="0 0 24 24" aria-hidden focusable="false" className="gitlab-logo">
      <path fill={dark} d="M12 21.6 16.1 9H7.9z" />
      <path fill={mid} d="M12 21.6 7.9 9H2.2z" />
      <path fill={light} d="M2.2 9 .95 12.85a.85.85 0 0 0 .31.95L12 21.6z" />
      <path fill={dark} d="M2.2 9h5.7L5.45 1.45a.43.43 0 0 0-.81 0z" />
      <path fill={mid} d="M12 21.6 16.1 9h5.7z" />
      <path fill={light} d="m21.8 9 1.25 3.85a.85.85 0 0 1-.31.95L12 21.6z" />
      <path fill={dark} d="M21.8 9h-5.7l2.45-7.55a.43.43 0 0 1 .81 0z" />
    </svg>
  );
}
