package storage

// What both engines answer, as ENOTFOUND when a read finds no row and as
// ECONFLICT when an insert meets a unique key; the format's arguments
// follow each message's name.
const (
	OrganisationNotFound    = "Organisation %q does not exist."                                                       // name
	OrganisationExists      = "Organisation %q already exists."                                                       // name
	NoOperator              = "Operator %d does not exist."                                                           // id
	OperatorNameNotFound    = "Operator %q does not exist in this organisation."                                      // name
	OperatorIDNotFound      = "Operator %d does not exist in this organisation."                                      // id
	AlternativeCodeNotFound = "No operator has alternative code %q in this organisation."                             // code
	OperatorExists          = "An operator named %q or with alternative code %q already exists in this organisation." // name, code
	UserExists              = "User %q already exists in this organisation."                                          // username
	NoSuchUser              = "No such user."
	NoSession               = "The token is unknown, expired or released."
	AdminTokenExists        = "An admin token named %q already exists." // name
	NoSuchAdminToken        = "No such admin token."
	SettingNotSaved         = "Setting %q is not saved." // key

	PromotionNotFound = "Promotion %q does not exist for this operator." // code
	PromotionExists   = "Promotion %q already exists for this operator." // code
	NoSubscription    = "Customer %q has no Netflix subscription."       // customer
	NoCharge          = "No charge %d."                                  // id

	CustomerNotFound  = "Customer not found."
	NoSuchApplication = "No such application."
	NoSuchToken       = "No such token."
)
