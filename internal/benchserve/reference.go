package benchserve

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Reference is the floor Qualify is measured against: plain net/http and pgx running the SQL the
// three shapes need and writing the JSON Qualify answers, with no authentication, policy or
// GraphQL. Stages, a handful of rows, are read once, as Qualify's stage cache does.
type Reference struct {
	db     *pgxpool.Pool
	stages map[int64]stageJSON
}

type stageJSON struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// NewReference loads the stages and returns the handler.
func NewReference(ctx context.Context, db *pgxpool.Pool) (*Reference, error) {
	rows, err := db.Query(ctx, `SELECT id, key, name FROM stages`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ref := &Reference{db: db, stages: map[int64]stageJSON{}}
	for rows.Next() {
		var id int64
		var s stageJSON
		if err := rows.Scan(&id, &s.Key, &s.Name); err != nil {
			return nil, err
		}
		ref.stages[id] = s
	}
	return ref, rows.Err()
}

// Handler serves POST /node, /list and /activity with GraphQL-shaped bodies and answers.
func (ref *Reference) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /node", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Variables struct{ ID string } }
		if json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		id, _ := strconv.ParseInt(in.Variables.ID, 10, 64)
		var n struct {
			ID          string    `json:"id"`
			FirstName   string    `json:"firstName"`
			LastName    string    `json:"lastName"`
			Email       *string   `json:"email"`
			CompanyName string    `json:"companyName"`
			Score       int       `json:"score"`
			Stage       stageJSON `json:"stage"`
		}
		var stage int64
		err := ref.db.QueryRow(r.Context(), `SELECT first_name, last_name, email, company_name, score, stage_id FROM leads WHERE id = $1`, id).
			Scan(&n.FirstName, &n.LastName, &n.Email, &n.CompanyName, &n.Score, &stage)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		n.ID, n.Stage = strconv.FormatInt(id, 10), ref.stages[stage]
		answer(w, map[string]any{"node": n})
	})
	mux.HandleFunc("POST /list", ref.list)
	mux.HandleFunc("POST /activity", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Variables struct{ Lead string } }
		if json.NewDecoder(r.Body).Decode(&in) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		lead, _ := strconv.ParseInt(in.Variables.Lead, 10, 64)
		var a struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		}
		tx, err := ref.db.Begin(r.Context())
		if err == nil {
			defer func() { _ = tx.Rollback(context.WithoutCancel(r.Context())) }()
			var id int64
			now := time.Now()
			err = tx.QueryRow(r.Context(), `INSERT INTO activities (created_at, updated_at, kind, occurred_at, lead_id) VALUES ($1, $1, 'WEB_VISIT', $1, $2) RETURNING id, kind`, now, lead).Scan(&id, &a.Kind)
			if err == nil {
				_, err = tx.Exec(r.Context(), `UPDATE leads SET last_activity_at = $1, version = version + 1, updated_at = $1 WHERE id = $2`, now, lead)
			}
			if err == nil {
				err = tx.Commit(r.Context())
			}
			a.ID = strconv.FormatInt(id, 10)
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		answer(w, map[string]any{"createActivity": a})
	})
	return mux
}

type listLead struct {
	ID       string   `json:"id"`
	LastName string   `json:"lastName"`
	Account  *account `json:"account"`
	Contacts struct {
		Edges []contactEdge `json:"edges"`
	} `json:"contacts"`
	Stage stageJSON `json:"stage"`
}

type account struct {
	Name   string  `json:"name"`
	Domain *string `json:"domain"`
}

type contactEdge struct {
	Node struct {
		Email      *string `json:"email"`
		BuyingRole string  `json:"buyingRole"`
	} `json:"node"`
}

// list is a page of 50 leads by id with totalCount, each lead's account, first 5 contacts by id
// and stage: four statements, as Qualify's page should be.
func (ref *Reference) list(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	fail := func(err error) { http.Error(w, err.Error(), http.StatusInternalServerError) }
	var total int
	if err := ref.db.QueryRow(ctx, `SELECT count(*) FROM leads`).Scan(&total); err != nil {
		fail(err)
		return
	}
	rows, err := ref.db.Query(ctx, `SELECT id, last_name, account_id, stage_id FROM leads ORDER BY id LIMIT 50`)
	if err != nil {
		fail(err)
		return
	}
	var ids, accountIDs []int64
	leads := make([]*listLead, 0, 50)
	byLead := map[int64]*listLead{}
	accountOf := map[int64]int64{}
	for rows.Next() {
		var id, stage int64
		var acc *int64
		l := &listLead{}
		if err := rows.Scan(&id, &l.LastName, &acc, &stage); err != nil {
			fail(err)
			return
		}
		l.ID, l.Stage, l.Contacts.Edges = strconv.FormatInt(id, 10), ref.stages[stage], []contactEdge{}
		leads, byLead[id], ids = append(leads, l), l, append(ids, id)
		if acc != nil {
			accountOf[id], accountIDs = *acc, append(accountIDs, *acc)
		}
	}
	if err := rows.Err(); err != nil {
		fail(err)
		return
	}
	accounts := map[int64]*account{}
	rows, err = ref.db.Query(ctx, `SELECT id, name, domain FROM accounts WHERE id = ANY($1)`, accountIDs)
	if err != nil {
		fail(err)
		return
	}
	for rows.Next() {
		var id int64
		a := &account{}
		if err := rows.Scan(&id, &a.Name, &a.Domain); err != nil {
			fail(err)
			return
		}
		accounts[id] = a
	}
	for id, acc := range accountOf {
		byLead[id].Account = accounts[acc]
	}
	rows, err = ref.db.Query(ctx, `SELECT lead_id, email, buying_role FROM (
		SELECT lc.lead_id, c.email, c.buying_role, row_number() OVER (PARTITION BY lc.lead_id ORDER BY c.id) AS n
		FROM contacts c JOIN lead_contacts lc ON lc.contact_id = c.id WHERE lc.lead_id = ANY($1)) t
		WHERE n <= 5 ORDER BY lead_id, n`, ids)
	if err != nil {
		fail(err)
		return
	}
	for rows.Next() {
		var lead int64
		var e contactEdge
		if err := rows.Scan(&lead, &e.Node.Email, &e.Node.BuyingRole); err != nil {
			fail(err)
			return
		}
		byLead[lead].Contacts.Edges = append(byLead[lead].Contacts.Edges, e)
	}
	if err := rows.Err(); err != nil {
		fail(err)
		return
	}
	type edge struct {
		Node *listLead `json:"node"`
	}
	edges := make([]edge, len(leads))
	for i, l := range leads {
		edges[i].Node = l
	}
	answer(w, map[string]any{"leads": map[string]any{"totalCount": total, "edges": edges}})
}

func answer(w http.ResponseWriter, data any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}
