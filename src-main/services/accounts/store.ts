import { z } from 'zod';
import { AccountSchema, type Account } from '../../../src-shared/model/account';
import type { SettingsStore } from '../settings/store';

/** What is persisted per account in config.json: the public Account plus non-secret auth details. */
export const StoredAccountSchema = AccountSchema.extend({
  /** The OAuth application id the tokens were issued to (needed to refresh and revoke). */
  oauthClientId: z.string().optional(),
  /** The user explicitly allowed http:// for this instance. */
  allowHttp: z.boolean().default(false),
});
export type StoredAccount = z.infer<typeof StoredAccountSchema>;

const AccountsSectionSchema = z.array(z.unknown()).default([]);
const SECTION = 'accounts';

/** Account metadata in the settings file; tokens live in the SecretStore, never here. */
export class AccountRepository {
  constructor(private readonly settings: SettingsStore) {}

  /** Every readable record; an unreadable one is reported (and the file backed up) rather than hiding the others. */
  all(): StoredAccount[] {
    const out: StoredAccount[] = [];
    for (const raw of this.settings.read(SECTION, AccountsSectionSchema)) {
      const parsed = StoredAccountSchema.safeParse(raw);
      if (parsed.success) out.push(parsed.data);
      else this.settings.reportCorrupt(`an account record is unreadable: ${parsed.error.message}`);
    }
    return out;
  }

  find(id: string): StoredAccount | undefined {
    return this.all().find((a) => a.id === id);
  }

  put(account: StoredAccount): void {
    const others = this.all().filter((a) => a.id !== account.id);
    const list = [...others, StoredAccountSchema.parse(account)].sort((a, b) =>
      a.connectedAt.localeCompare(b.connectedAt),
    );
    this.settings.write(SECTION, list);
  }

  remove(id: string): void {
    this.settings.write(
      SECTION,
      this.all().filter((a) => a.id !== id),
    );
  }
}

/** The renderer's view: the stored record without auth internals. */
export function toPublic(account: StoredAccount): Account {
  const { oauthClientId: _c, allowHttp: _h, ...pub } = account;
  return AccountSchema.parse(pub);
}
