// Package qualtype holds the JSON value types stored on leads: what the qualification policy
// wrote about them. It has no dependencies so the ent schema and GraphQL can share it.
package qualtype

// Reason explains points of a score or a stage recommendation.
type Reason struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Points  int    `json:"points"`
}

// BANT is the policy's reading of budget, authority, need and timing.
type BANT struct {
	Budget    string `json:"budget"`
	Authority string `json:"authority"`
	Need      string `json:"need"`
	Timing    string `json:"timing"`
	Confirmed int    `json:"confirmed"`
	Status    string `json:"status"`
}

// Coverage says which buying roles are known for the lead.
type Coverage struct {
	DecisionMaker bool `json:"decisionMaker"`
	Recommender   bool `json:"recommender"`
	Influencer    bool `json:"influencer"`
}

// Problem is one reason a policy revision was refused, with its location when known.
type Problem struct {
	File    string `json:"file"`
	Row     int    `json:"row"`
	Col     int    `json:"col"`
	Message string `json:"message"`
}
