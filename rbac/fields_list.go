package rbac

// governedFields is every field that field rules govern, in one place: the groups × fields matrix,
// the stores that load records and the leak detector all read this list. Personal data defaults to
// Hidden; a group sees more only when its rule says so (RULES.md, data protection).
var governedFields = []Field{
	// An account (admin/accounts, Record "account").
	{Record: "account", Name: "name", Default: Read},
	{Record: "account", Name: "phone", Default: Hidden, Mask: MaskPhone},
	{Record: "account", Name: "email", Default: Hidden, Mask: MaskEmail},
	{Record: "account", Name: "birth_date", Default: Hidden},
	{Record: "account", Name: "passport", Default: Hidden},
	{Record: "account", Name: "card_last4", Default: Hidden},
	{Record: "account", Name: "card_holder", Default: Hidden},

	// An order (admin/orders, Record "order"): senders' and recipients' names, phones and addresses
	// are personal data; money is governed so a group can be kept from it.
	{Record: "order", Name: "sender_name", Default: Read},
	{Record: "order", Name: "sender_phone", Default: Hidden, Mask: MaskPhone},
	{Record: "order", Name: "sender_address", Default: Hidden},
	{Record: "order", Name: "recipient_name", Default: Read},
	{Record: "order", Name: "recipient_phone", Default: Hidden, Mask: MaskPhone},
	{Record: "order", Name: "recipient_address", Default: Hidden},
	{Record: "order", Name: "declared_value", Default: Read},
	{Record: "order", Name: "cost", Default: Read},
	{Record: "order", Name: "comment", Default: Read},

	// A complaint (admin/complaints, Record "complaint"): the complainant's personal data is
	// governed like an account's (support agents do not see the date of birth; see SeedDemo).
	{Record: "complaint", Name: "complainant_birth_date", Default: Hidden},
	{Record: "complaint", Name: "complainant_contacts", Default: Read, Mask: MaskContacts},
}
