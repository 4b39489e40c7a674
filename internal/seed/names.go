package seed

// namePool holds first and last names common in a region, ASCII only so that they make plain
// email local parts.
type namePool struct {
	first, last []string
}

var namePools = [...]namePool{
	poolEMEA: {
		first: []string{"Anna", "Lukas", "Sophie", "Jonas", "Emma", "Felix", "Marie", "Paul", "Julia", "Thomas",
			"Laura", "Claire", "Pierre", "Camille", "Antoine", "Oliver", "Charlotte", "Harry", "Amelia", "James",
			"Lars", "Ingrid", "Erik", "Astrid", "Sofia", "Marco", "Giulia", "Luca", "Carmen", "Javier", "Lucia",
			"Pablo", "Katarzyna", "Piotr", "Jan", "Eva", "Noah", "Sara", "Ahmed", "Layla", "Daan", "Fleur",
			"Sven", "Freya", "Niamh", "Sean", "Mikael", "Aino", "Yusuf", "Leonie"},
		last: []string{"Mueller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann",
			"Martin", "Bernard", "Dubois", "Laurent", "Moreau", "Smith", "Jones", "Taylor", "Brown", "Wilson",
			"Evans", "Johansson", "Andersson", "Nilsson", "Larsen", "Hansen", "Rossi", "Russo", "Bianchi",
			"Garcia", "Fernandez", "Lopez", "Martinez", "Nowak", "Kowalski", "Jansen", "Visser", "Bakker",
			"Murphy", "Kelly", "Haddad", "Cohen", "Virtanen", "Korhonen", "Peeters", "Huber", "Gruber",
			"Berg", "Dahl", "Novak", "Meyer", "Wolf"},
	},
	poolNA: {
		first: []string{"James", "Mary", "Michael", "Jennifer", "David", "Sarah", "Robert", "Jessica", "Daniel",
			"Ashley", "Matthew", "Emily", "Christopher", "Megan", "Andrew", "Lauren", "Joshua", "Rachel", "Ryan",
			"Nicole", "Kevin", "Amanda", "Brian", "Stephanie", "Jason", "Maria", "Carlos", "Priya", "Wei",
			"Olivia", "Ethan", "Madison", "Tyler", "Hannah", "Brandon", "Grace", "Justin", "Chloe", "Aaron",
			"Natalie"},
		last: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Garcia",
			"Rodriguez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "White", "Harris", "Clark",
			"Lewis", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Nguyen", "Patel", "Kim", "Campbell",
			"Roberts", "Carter", "Mitchell", "Turner", "Phillips", "Parker", "Evans", "Edwards", "Collins",
			"Stewart", "Morris"},
	},
	poolLATAM: {
		first: []string{"Juan", "Maria", "Jose", "Ana", "Luis", "Gabriela", "Carlos", "Fernanda", "Diego",
			"Camila", "Andres", "Valentina", "Ricardo", "Isabela", "Mateo", "Daniela", "Rafael", "Mariana",
			"Felipe", "Paula", "Joao", "Beatriz", "Pedro", "Larissa", "Santiago", "Luciana", "Tomas", "Renata",
			"Emilio", "Carolina"},
		last: []string{"Silva", "Santos", "Oliveira", "Souza", "Pereira", "Costa", "Rodrigues", "Almeida",
			"Gonzalez", "Hernandez", "Lopez", "Martinez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores",
			"Rivera", "Gomez", "Diaz", "Morales", "Vargas", "Castro", "Rojas", "Mendoza", "Herrera", "Ferreira",
			"Ribeiro", "Carvalho", "Araujo"},
	},
	poolAPAC: {
		first: []string{"Hiroshi", "Yuki", "Takeshi", "Sakura", "Kenji", "Aiko", "Rahul", "Priya", "Arjun",
			"Ananya", "Vikram", "Deepa", "Wei", "Mei", "Jun", "Li", "Minjun", "Jiwoo", "Seoyeon", "Jack", "Chloe",
			"Liam", "Mia", "Ethan", "Grace", "Ravi", "Siti", "Ahmad", "Haruto", "Aarav"},
		last: []string{"Tanaka", "Suzuki", "Sato", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura",
			"Sharma", "Gupta", "Singh", "Kumar", "Iyer", "Reddy", "Chen", "Wang", "Li", "Zhang", "Liu", "Kim",
			"Park", "Lee", "Choi", "Tan", "Lim", "Ng", "Wong", "Smith", "Brown", "Wilson"},
	},
}

// companyWords start company names: "Nordwind" + "Logistics".
var companyWords = []string{"Acme", "Apex", "Nordwind", "Bluepeak", "Silverline", "Ironbridge", "Brightwave",
	"Northstar", "Redwood", "Everest", "Helix", "Vertex", "Summit", "Keystone", "Orion", "Atlas", "Meridian",
	"Pioneer", "Sterling", "Crescent", "Falcon", "Granite", "Harbor", "Horizon", "Juniper", "Lumen", "Maple",
	"Nova", "Oakridge", "Pinnacle", "Quantum", "Riverstone", "Sapphire", "Tidewater", "Unity", "Vanguard",
	"Westfield", "Zenith", "Alpine", "Beacon", "Cobalt", "Delta", "Emerald", "Frontier", "Highland", "Insight",
	"Kestrel", "Lakeside", "Magnolia", "Neptune", "Omega", "Polaris", "Rainier", "Sequoia", "Titan", "Vista",
	"Willow", "Arcadia", "Boreal", "Cascade", "Dynamo", "Evergreen", "Fjord", "Glacier", "Heron", "Jade",
	"Kinetic", "Lighthouse", "Monarch", "Nimbus", "Onyx", "Prism", "Radiant", "Solstice", "Trident", "Vector",
	"Windmill", "Zephyr", "Aurora", "Bridgewater", "Copperfield", "Driftwood", "Eastgate", "Foxglove",
	"Goldcrest", "Hillcrest", "Ironwood", "Kingsway", "Larkspur", "Millbrook", "Northgate", "Oldfield",
	"Pinegrove", "Queensbury", "Rockford", "Stonebridge", "Thornbury", "Upland", "Valemont", "Whitehall"}

// Engagement vocabulary for activity properties.
var (
	webPages     = []string{"/pricing", "/product", "/product/integrations", "/case-studies", "/security", "/blog/bant-in-practice", "/blog/mql-vs-sql", "/contact", "/careers", "/docs"}
	forms        = []string{"contact-sales", "demo-request", "webinar-registration", "whitepaper", "pricing-inquiry"}
	assets       = []string{"Buyer's guide", "ROI calculator", "Whitepaper: Lead scoring that sales trusts", "Benchmark report 2025", "Case study: Nordwind Logistics", "Checklist: Ready for SQL?"}
	tradeFairs   = []string{"Hannover Messe", "LogiMAT", "bauma", "Embedded World", "Web Summit", "SaaStr Annual", "Dreamforce", "Automatica", "Intersolar", "Medica"}
	newsletters  = []string{"monthly-insights", "product-updates", "industry-digest"}
	adCampaigns  = []string{"search-brand", "search-generic", "linkedin-abm", "retargeting", "youtube-awareness"}
	socialNets   = []string{"linkedin", "x", "youtube", "xing"}
	partnerNames = []string{"Northbridge Consulting", "Systemhaus Weber", "CloudPath Partners", "Integra Solutions", "Blueprint Advisory"}
)
