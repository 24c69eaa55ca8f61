import { useRef } from 'react';
import { FileKey } from 'lucide-react';
import { Button, Checkbox, TextArea, TextField } from '../../components';

/** The editable form of an account's network settings; empty strings mean "not set". */
export interface NetworkDraft {
  caCertificatesPem: string;
  useSystemCa: boolean;
  proxyUrl: string;
  noProxy: string;
}

export const EMPTY_NETWORK: NetworkDraft = { caCertificatesPem: '', useSystemCa: true, proxyUrl: '', noProxy: '' };

export function toNetworkSettings(draft: NetworkDraft) {
  return {
    useSystemCa: draft.useSystemCa,
    ...(draft.caCertificatesPem.trim() ? { caCertificatesPem: draft.caCertificatesPem.trim() + '\n' } : {}),
    ...(draft.proxyUrl.trim() ? { proxyUrl: draft.proxyUrl.trim() } : {}),
    ...(draft.noProxy.trim() ? { noProxy: draft.noProxy.trim() } : {}),
  };
}

export function fromNetworkSettings(n: {
  caCertificatesPem?: string;
  useSystemCa?: boolean;
  proxyUrl?: string;
  noProxy?: string;
}): NetworkDraft {
  return {
    caCertificatesPem: n.caCertificatesPem ?? '',
    useSystemCa: n.useSystemCa ?? true,
    proxyUrl: n.proxyUrl ?? '',
    noProxy: n.noProxy ?? '',
  };
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** CA certificates and proxy of one account, used for its API, git and OAuth traffic. */
export function NetworkFields({
  value,
  onChange,
  caRef,
}: {
  value: NetworkDraft;
  onChange(next: NetworkDraft): void;
  caRef?: React.RefObject<HTMLTextAreaElement | null>;
}) {
  const file = useRef<HTMLInputElement>(null);
  const set = (patch: Partial<NetworkDraft>) => onChange({ ...value, ...patch });
  const pemError =
    value.caCertificatesPem.trim() && !PEM_BLOCK.test(value.caCertificatesPem)
      ? 'Paste one or more PEM certificates (-----BEGIN CERTIFICATE----- …).'
      : undefined;
  return (
    <div className="stack">
      <div className="stack-sm">
        <TextArea
          ref={caRef}
          label="Extra CA certificates"
          placeholder="-----BEGIN CERTIFICATE-----"
          hint="Your company’s root or intermediate CA, in PEM format. Trusted for this account only."
          error={pemError}
          value={value.caCertificatesPem}
          onChange={(e) => set({ caCertificatesPem: e.currentTarget.value })}
          rows={4}
        />
        <div className="row">
          <Button size="sm" icon={<FileKey />} onClick={() => file.current?.click()}>
            Choose PEM file…
          </Button>
          <input
            ref={file}
            type="file"
            accept=".pem,.crt,.cer,.txt"
            className="visually-hidden"
            aria-label="CA certificate file"
            onChange={async (e) => {
              const picked = e.currentTarget.files?.[0];
              if (picked) set({ caCertificatesPem: (await picked.text()).trim() });
              e.currentTarget.value = '';
            }}
          />
        </div>
        <Checkbox
          label="Also trust this computer’s certificate store"
          hint="Turn off to trust only the certificates above."
          checked={value.useSystemCa}
          onChange={(useSystemCa) => set({ useSystemCa })}
        />
      </div>
      <div className="form-grid">
        <TextField
          label="Proxy"
          placeholder="http://proxy.company.com:3128"
          hint="Leave empty to use HTTPS_PROXY or the system proxy."
          value={value.proxyUrl}
          onChange={(e) => set({ proxyUrl: e.currentTarget.value })}
        />
        <TextField
          label="No proxy for"
          placeholder="localhost, .internal"
          hint="Comma-separated hosts that bypass the proxy."
          value={value.noProxy}
          onChange={(e) => set({ noProxy: e.currentTarget.value })}
        />
      </div>
    </div>
  );
}
