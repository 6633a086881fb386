package rbac

// The accounts desk's permissions (accounts, API keys, news, notifications);
// migrations/005_accounts_desk.sql grants them to roles.
const (
	AccountsBlock          Perm = "accounts:block"           // block and unblock accounts or functions
	AccountsDelete         Perm = "accounts:delete"          // delete (pseudonymise) an account
	AccountsDeleteOverride Perm = "accounts:delete_override" // allow deleting an account whose balance is positive
	APIKeysRead            Perm = "apikeys:read"             // see business clients' API keys
	APIKeysManage          Perm = "apikeys:manage"           // generate and revoke API keys
	NewsRead               Perm = "news:read"                // the news list and items
	NewsEdit               Perm = "news:edit"                // write, schedule, publish, pin, archive
	NotificationsRead      Perm = "notifications:read"       // the outbox and the mail catcher
	NotificationsResend    Perm = "notifications:resend"     // send a notice again
)
