import './integrations.css';
/** The steps from the product docs for creating the bot user's token, shown beside the form. */
export function PatGuide() {
  return (
    <aside className="guide" aria-label="How to create a token">
      <h3>Create a Personal Access Token</h3>
      <ol className="steps">
        <li>
          Create a dedicated user such as <code>cospec-bot</code>: <strong>Admin Area → Users → New User</strong>.
        </li>
        <li>
          Give it the <strong>Developer</strong> role on the projects coSPEC should work on.
        </li>
        <li>
          Sign in as the bot, then open <strong>Preferences → Access Tokens → Add new token</strong>.
        </li>
        <li>
          Select the scopes <code>api</code> and <code>read_user</code>.
        </li>
        <li>Set an expiration date.</li>
        <li>Copy the token, paste it here and click Connect.</li>
      </ol>
    </aside>
  );
}
