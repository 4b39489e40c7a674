package seed

import "github.com/qualify/qualify/ent/account"

// This file holds the fixed vocabulary of the data set: countries, industries, lead sources and
// reason codes. Slices, never maps, so that nothing depends on map iteration order.

// country is a market the demo company sells into.
type country struct {
	code     string // ISO 3166-1 alpha-2
	region   account.Region
	weight   int
	cc       string   // calling code, without +
	mobile   string   // a valid national significant number; its last five digits are varied
	fixed    string   // likewise, a fixed line
	tld      string   // the usual company domain suffix
	suffixes []string // legal forms
	offset   int      // hours from UTC of its business day, roughly
	names    int      // index into namePools
}

const (
	poolEMEA = iota
	poolNA
	poolLATAM
	poolAPAC
)

var countries = []country{
	{"DE", account.RegionEMEA, 90, "49", "15123456789", "30123456", "de", []string{"GmbH", "AG", "GmbH & Co. KG"}, 1, poolEMEA},
	{"GB", account.RegionEMEA, 80, "44", "7400123456", "1212345678", "co.uk", []string{"Ltd", "PLC"}, 0, poolEMEA},
	{"FR", account.RegionEMEA, 50, "33", "612345678", "123456789", "fr", []string{"SAS", "SA"}, 1, poolEMEA},
	{"NL", account.RegionEMEA, 30, "31", "612345678", "101234567", "nl", []string{"B.V.", "N.V."}, 1, poolEMEA},
	{"SE", account.RegionEMEA, 18, "46", "701234567", "8123456", "se", []string{"AB"}, 1, poolEMEA},
	{"ES", account.RegionEMEA, 25, "34", "612345678", "810123456", "es", []string{"S.L.", "S.A."}, 1, poolEMEA},
	{"IT", account.RegionEMEA, 25, "39", "3123456789", "0212345678", "it", []string{"S.r.l.", "S.p.A."}, 1, poolEMEA},
	{"CH", account.RegionEMEA, 18, "41", "781234567", "212345678", "ch", []string{"AG", "GmbH"}, 1, poolEMEA},
	{"PL", account.RegionEMEA, 15, "48", "512345678", "123456789", "pl", []string{"sp. z o.o.", "S.A."}, 1, poolEMEA},
	{"AT", account.RegionEMEA, 12, "43", "664123456", "1234567890", "at", []string{"GmbH"}, 1, poolEMEA},
	{"BE", account.RegionEMEA, 10, "32", "450001234", "12345678", "be", []string{"NV", "BV"}, 1, poolEMEA},
	{"DK", account.RegionEMEA, 10, "45", "34412345", "32123456", "dk", []string{"A/S", "ApS"}, 1, poolEMEA},
	{"IE", account.RegionEMEA, 10, "353", "850123456", "2212345", "ie", []string{"Ltd", "DAC"}, 0, poolEMEA},
	{"NO", account.RegionEMEA, 8, "47", "40612345", "21234567", "no", []string{"AS", "ASA"}, 1, poolEMEA},
	{"FI", account.RegionEMEA, 8, "358", "412345678", "131234567", "fi", []string{"Oy", "Oyj"}, 2, poolEMEA},
	{"AE", account.RegionEMEA, 8, "971", "501234567", "22345678", "ae", []string{"LLC", "FZE"}, 4, poolEMEA},
	{"ZA", account.RegionEMEA, 8, "27", "711234567", "101234567", "co.za", []string{"(Pty) Ltd"}, 2, poolEMEA},
	{"IL", account.RegionEMEA, 6, "972", "502345678", "21234567", "co.il", []string{"Ltd"}, 2, poolEMEA},
	{"US", account.RegionNA, 300, "1", "2015550123", "2015550123", "com", []string{"Inc.", "LLC", "Corp."}, -6, poolNA},
	{"CA", account.RegionNA, 45, "1", "5062345678", "5062345678", "ca", []string{"Inc.", "Ltd."}, -5, poolNA},
	{"BR", account.RegionLATAM, 40, "55", "11961234567", "1123456789", "com.br", []string{"Ltda.", "S.A."}, -3, poolLATAM},
	{"MX", account.RegionLATAM, 25, "52", "2221234567", "2001234567", "com.mx", []string{"S.A. de C.V."}, -6, poolLATAM},
	{"AR", account.RegionLATAM, 12, "54", "91123456789", "1123456789", "com.ar", []string{"S.A.", "S.R.L."}, -3, poolLATAM},
	{"CL", account.RegionLATAM, 10, "56", "221234567", "600123456", "cl", []string{"SpA", "S.A."}, -4, poolLATAM},
	{"CO", account.RegionLATAM, 10, "57", "3211234567", "6012345678", "com.co", []string{"S.A.S."}, -5, poolLATAM},
	{"PE", account.RegionLATAM, 5, "51", "912345678", "11234567", "pe", []string{"S.A.C."}, -5, poolLATAM},
	{"AU", account.RegionAPAC, 40, "61", "412345678", "212345678", "com.au", []string{"Pty Ltd"}, 10, poolAPAC},
	{"JP", account.RegionAPAC, 30, "81", "9012345678", "312345678", "co.jp", []string{"K.K.", "Co., Ltd."}, 9, poolAPAC},
	{"SG", account.RegionAPAC, 20, "65", "81234567", "61234567", "com.sg", []string{"Pte. Ltd."}, 8, poolAPAC},
	{"IN", account.RegionAPAC, 30, "91", "8123456789", "7410410123", "in", []string{"Pvt. Ltd.", "Ltd."}, 5, poolAPAC},
	{"NZ", account.RegionAPAC, 8, "64", "211234567", "32345678", "co.nz", []string{"Ltd"}, 12, poolAPAC},
	{"KR", account.RegionAPAC, 12, "82", "1020000000", "22123456", "co.kr", []string{"Co., Ltd."}, 9, poolAPAC},
	{"HK", account.RegionAPAC, 10, "852", "51234567", "21234567", "com.hk", []string{"Limited"}, 8, poolAPAC},
}

// industry is a vertical with its share of accounts, how much revenue an employee makes there,
// the words its company names use, and its fit points from the shipped policy's data.
type industry struct {
	key       string // lowercase snake_case, as the policy expects
	weight    int
	revPerEmp float64 // annual revenue per employee, in the account's currency units
	words     []string
	fit       int
	projects  []string
}

var industries = []industry{
	{"software", 140, 220e3, []string{"Software", "Systems", "Labs", "Digital", "Cloud", "Data"}, 6,
		[]string{"Data platform consolidation", "Customer portal relaunch", "SOC 2 readiness"}},
	{"manufacturing", 140, 280e3, []string{"Manufacturing", "Industries", "Works", "Fabrication", "Components"}, 12,
		[]string{"Plant digitalisation", "MES rollout", "Predictive maintenance pilot"}},
	{"industrial_machinery", 60, 300e3, []string{"Machinery", "Engineering", "Automation", "Tools"}, 12,
		[]string{"Service portal for installed base", "Spare parts e-commerce", "IoT retrofit"}},
	{"healthcare", 70, 140e3, []string{"Health", "Medical", "Care", "Clinics"}, 0,
		[]string{"Patient scheduling modernisation", "Lab system integration", "Supplier onboarding"}},
	{"financial_services", 80, 420e3, []string{"Capital", "Finance", "Insurance", "Partners"}, 0,
		[]string{"Core banking migration", "KYC automation", "Claims workflow redesign"}},
	{"retail", 70, 190e3, []string{"Retail", "Stores", "Market", "Outlet"}, 0,
		[]string{"Omnichannel inventory", "Store network expansion", "Loyalty programme relaunch"}},
	{"logistics", 70, 230e3, []string{"Logistics", "Freight", "Transport", "Shipping"}, 8,
		[]string{"Warehouse automation", "Fleet telematics rollout", "New distribution centre"}},
	{"education", 40, 90e3, []string{"Academy", "Learning", "Institute", "College"}, 0,
		[]string{"Campus network upgrade", "Learning platform migration"}},
	{"energy", 40, 600e3, []string{"Energy", "Power", "Solar", "Utilities"}, 8,
		[]string{"Grid asset monitoring", "Solar park construction", "Field service optimisation"}},
	{"construction", 60, 250e3, []string{"Construction", "Builders", "Contractors", "Building"}, 10,
		[]string{"Site equipment tracking", "BIM rollout", "Headquarters new build"}},
	{"public_sector", 30, 110e3, []string{"Authority", "Agency", "Services"}, 0,
		[]string{"Citizen services portal", "Records digitisation"}},
	{"wholesale", 50, 700e3, []string{"Wholesale", "Distribution", "Supply", "Trading"}, 6,
		[]string{"B2B webshop launch", "ERP migration", "Pricing engine rollout"}},
	{"professional_services", 70, 160e3, []string{"Consulting", "Advisory", "Associates", "Group"}, 4,
		[]string{"PSA tool selection", "Knowledge base rollout"}},
	{"telecommunications", 20, 450e3, []string{"Telecom", "Networks", "Communications"}, 0,
		[]string{"Fibre expansion", "Field workforce app"}},
	{"media", 20, 200e3, []string{"Media", "Studios", "Publishing"}, 0,
		[]string{"Subscription platform relaunch", "Archive digitisation"}},
	{"hospitality", 20, 80e3, []string{"Hotels", "Hospitality", "Resorts"}, 0,
		[]string{"Property management system replacement"}},
	{"automotive", 30, 350e3, []string{"Automotive", "Motors", "Auto Parts"}, 0,
		[]string{"Supplier quality portal", "EV component line"}},
	{"pharmaceuticals", 20, 500e3, []string{"Pharma", "Biosciences", "Therapeutics"}, 0,
		[]string{"GxP document control", "Clinical supply chain"}},
	{"chemicals", 20, 450e3, []string{"Chemicals", "Materials", "Polymers"}, 0,
		[]string{"Plant safety system upgrade", "Batch tracking rollout"}},
}

// source is where leads come from: how many, how good, and how they enter the system.
type source struct {
	key     string // ent lead.Source value
	weight  int
	quality float64 // multiplier on the chance of moving on from lead
	skipSAL float64 // chance that a lead moving on goes straight to sal
}

var sources = []source{
	{"WEB_FORM", 22, 1.25, 0.04},
	{"NEWSLETTER", 14, 0.85, 0.01},
	{"TRADE_FAIR", 9, 1.15, 0.15},
	{"DIRECTORY", 10, 0.45, 0.02},
	{"REFERRAL", 6, 1.6, 0.35},
	{"PAID_AD", 14, 0.8, 0.02},
	{"SOCIAL", 8, 0.6, 0.01},
	{"OUTBOUND", 12, 0.7, 0.08},
	{"PARTNER", 5, 1.4, 0.30},
}

// reason is a reason code with the texts people type for it.
type reason struct {
	code   string
	weight int
	texts  []string
}

// Reasons for leaving the funnel, by the stage left. Disqualification codes are the shipped
// policy's disqualify_reason_codes, nurture codes its nurture_reason_codes.
var (
	disqualifyEarly = []reason{
		{"bad_fit", 30, []string{"Outside our ICP", "Too small for our offering", "Consumer, not a business"}},
		{"unreachable", 25, []string{"No answer after 5 attempts", "Email bounced", "Phone number invalid"}},
		{"duplicate", 15, []string{"Duplicate of an existing lead", "Same person already in pipeline"}},
		{"no_need", 15, []string{"Student research only", "Just browsing, no project"}},
		{"no_budget", 10, []string{"No budget this year", "Budget frozen"}},
		{"competitor", 5, []string{"Works for a competitor", "Competitor researching pricing"}},
	}
	disqualifyLate = []reason{
		{"competitor", 35, []string{"Chose a competitor", "Renewed with incumbent vendor", "Lost on price to competitor"}},
		{"no_budget", 25, []string{"Budget cut", "Could not get budget approved", "Project deprioritised for cost"}},
		{"no_need", 20, []string{"Solved internally", "Requirements changed, no longer relevant"}},
		{"bad_fit", 15, []string{"Missing integration they require", "Security requirements we cannot meet"}},
		{"unreachable", 5, []string{"Champion left the company", "Went dark after proposal"}},
	}
	nurtureManual = []reason{
		{"not_ready", 40, []string{"Interested, revisit next quarter", "Evaluating internally first"}},
		{"no_timing", 30, []string{"Project planned for next year", "Waiting for contract end of current tool"}},
		{"no_budget", 20, []string{"Budget expected next fiscal year", "Needs budget approval first"}},
		{"unreachable", 10, []string{"No response, keep warm", "Contact on leave"}},
	}
	backMoves = []reason{
		{"premature_advance", 50, []string{"BANT not confirmed, moved too early", "Decision maker not yet identified"}},
		{"data_correction", 30, []string{"Stage set by mistake in bulk edit", "Wrong lead moved, correcting"}},
		{"deal_reopened", 20, []string{"Scope changed, requalifying", "New stakeholder, back to discovery"}},
	}
)

// Buying roles of contacts with their seniority mix: a decision maker is senior, a user is not.
type buyingRole struct {
	key       string // ent contact.BuyingRole value
	weight    int    // share among contacts other than the account's decision makers
	seniority []weighted[string]
}

var buyingRoles = []buyingRole{
	{"DECISION_MAKER", 0, []weighted[string]{{"C_LEVEL", 45}, {"VP", 40}, {"DIRECTOR", 15}}},
	{"RECOMMENDER", 20, []weighted[string]{{"VP", 15}, {"DIRECTOR", 45}, {"MANAGER", 40}}},
	{"INFLUENCER", 25, []weighted[string]{{"DIRECTOR", 15}, {"MANAGER", 45}, {"INDIVIDUAL", 40}}},
	{"USER", 25, []weighted[string]{{"MANAGER", 25}, {"INDIVIDUAL", 75}}},
	{"GATEKEEPER", 10, []weighted[string]{{"MANAGER", 30}, {"INDIVIDUAL", 70}}},
	{"UNKNOWN", 20, []weighted[string]{{"UNKNOWN", 60}, {"INDIVIDUAL", 25}, {"MANAGER", 15}}},
}

// departments a contact works in; titles are built from them.
var departments = []string{"Operations", "IT", "Finance", "Procurement", "Engineering", "Sales", "Marketing", "Supply Chain", "Production"}

var (
	cLevelTitles     = []string{"CEO", "CFO", "COO", "CTO", "CIO", "Managing Director", "President"}
	gatekeeperTitles = []string{"Executive Assistant", "Office Manager", "Procurement Coordinator", "Purchasing Assistant"}
	individualTitles = []string{"%s Specialist", "%s Analyst", "Senior %s Specialist", "%s Coordinator", "%s Associate"}
)
