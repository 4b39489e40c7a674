package crm

import (
	"context"

	"github.com/qualify/qualify/ent"
	"github.com/qualify/qualify/ent/activity"
	"github.com/qualify/qualify/ent/contact"
	"github.com/qualify/qualify/ent/lead"
)

// A person's activity is logged on a contact or on a lead; a lead and a contact with the same
// email are the same person, so the activities of either count for both.

// contactActivities selects the activities of contact c: its own and those of leads with its email.
func contactActivities(c *ent.Contact) func(*ent.ActivityQuery) *ent.ActivityQuery {
	return func(q *ent.ActivityQuery) *ent.ActivityQuery {
		if c.Email == nil {
			return q.Where(activity.ContactID(c.ID))
		}
		return q.Where(activity.Or(activity.ContactID(c.ID), activity.HasLeadWith(lead.Email(*c.Email))))
	}
}

// latestActivity is the newest activity q selects, or nil.
func latestActivity(ctx context.Context, q *ent.ActivityQuery) (*ent.Activity, error) {
	a, err := q.Order(ent.Desc(activity.FieldOccurredAt), ent.Desc(activity.FieldID)).First(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	return a, err
}

// keepLastActivity recomputes lastActivityAt of the lead and the contacts an activity concerns
// (its contact, and the contact with its lead's email), in the activity's transaction. An
// update passes the lead and contact from before it as well, in case it moved the activity.
func keepLastActivity(ctx context.Context, tx *ent.Client, leadIDs, contactIDs []*int) error {
	var emails []string
	for _, id := range leadIDs {
		if id == nil {
			continue
		}
		l, err := tx.Lead.Query().Where(lead.ID(*id)).Select(lead.FieldEmail).Only(ctx)
		if err != nil {
			return err
		}
		if l.Email != nil {
			emails = append(emails, *l.Email)
		}
		last, err := latestActivity(ctx, tx.Activity.Query().Where(activity.LeadID(*id)))
		if err != nil {
			return err
		}
		u := tx.Lead.Update().Where(lead.ID(*id))
		if last != nil {
			u.SetLastActivityAt(last.OccurredAt)
		} else {
			u.ClearLastActivityAt()
		}
		if _, err := u.Save(ctx); err != nil {
			return err
		}
	}
	var ids []int
	for _, id := range contactIDs {
		if id != nil {
			ids = append(ids, *id)
		}
	}
	q := tx.Contact.Query()
	switch {
	case len(ids) > 0 && len(emails) > 0:
		q.Where(contact.Or(contact.IDIn(ids...), contact.EmailIn(emails...)))
	case len(ids) > 0:
		q.Where(contact.IDIn(ids...))
	case len(emails) > 0:
		q.Where(contact.EmailIn(emails...))
	default:
		return nil
	}
	return keepContacts(ctx, tx, q)
}

// keepContacts recomputes lastActivityAt of the contacts q selects.
func keepContacts(ctx context.Context, tx *ent.Client, q *ent.ContactQuery) error {
	cs, err := q.All(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if _, err := keepContactLastActivity(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

// KeepContactsOfEmails recomputes lastActivityAt of the contacts with any of emails, in the
// transaction of tx: a lead that took or left an email brings its activities to that person,
// or takes them away.
func KeepContactsOfEmails(ctx context.Context, tx *ent.Client, emails ...string) error {
	if len(emails) == 0 {
		return nil
	}
	return keepContacts(ctx, tx, tx.Contact.Query().Where(contact.EmailIn(emails...)))
}

// keepContactLastActivity sets c's lastActivityAt from its activities and its leads'.
// A contact created or given an email takes the activity of leads with that email at once.
func keepContactLastActivity(ctx context.Context, tx *ent.Client, c *ent.Contact) (*ent.Contact, error) {
	last, err := latestActivity(ctx, contactActivities(c)(tx.Activity.Query()))
	if err != nil {
		return nil, err
	}
	u := tx.Contact.UpdateOneID(c.ID)
	if last != nil {
		u.SetLastActivityAt(last.OccurredAt)
	} else {
		u.ClearLastActivityAt()
	}
	return u.Save(ctx)
}

// Reach is whether a decision maker of an account has been reached: the newest activity of the
// person, logged on the contact or on a lead with the same email.
type Reach struct {
	Contact *ent.Contact
	Last    *ent.Activity // nil: never reached
	// Lead is the lead Last was logged on when it was logged on a lead rather than the contact.
	Lead *ent.Lead
}

// DecisionMakerReach lists the account's decision makers with their newest activity.
func (s *Service) DecisionMakerReach(ctx context.Context, accountID int) ([]Reach, error) {
	m, err := s.DecisionMakerReachOf(ctx, []int{accountID})
	return m[accountID], err
}

// DecisionMakerReachOf is DecisionMakerReach for several accounts in three statements, whatever
// their number: the decision makers, every activity of theirs or of leads with their emails
// (newest first), and those leads.
func (s *Service) DecisionMakerReachOf(ctx context.Context, accountIDs []int) (map[int][]Reach, error) {
	cs, err := s.client.Contact.Query().
		Where(contact.AccountIDIn(accountIDs...), contact.BuyingRoleEQ(contact.BuyingRoleDECISION_MAKER)).
		Order(ent.Asc(contact.FieldID)).All(ctx)
	if err != nil || len(cs) == 0 {
		return map[int][]Reach{}, err
	}
	ids, emails := make([]int, 0, len(cs)), []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
		if c.Email != nil {
			emails = append(emails, *c.Email)
		}
	}
	mine := activity.ContactIDIn(ids...)
	if len(emails) > 0 {
		mine = activity.Or(mine, activity.HasLeadWith(lead.EmailIn(emails...)))
	}
	acts, err := s.client.Activity.Query().Where(mine).
		Order(ent.Desc(activity.FieldOccurredAt), ent.Desc(activity.FieldID)).
		WithLead().All(ctx)
	if err != nil {
		return nil, err
	}
	// The newest activity of each person: by contact id, and by email for those on leads.
	byContact, byEmail := map[int]*ent.Activity{}, map[string]*ent.Activity{}
	for _, a := range acts {
		if a.ContactID != nil && byContact[*a.ContactID] == nil {
			byContact[*a.ContactID] = a
		}
		if l := a.Edges.Lead; l != nil && l.Email != nil && byEmail[*l.Email] == nil {
			byEmail[*l.Email] = a
		}
	}
	out := map[int][]Reach{}
	for _, c := range cs {
		last := byContact[c.ID]
		if c.Email != nil {
			if a := byEmail[*c.Email]; a != nil && (last == nil || newer(a, last)) {
				last = a
			}
		}
		r := Reach{Contact: c, Last: last}
		if last != nil && last.Edges.Lead != nil && (last.ContactID == nil || *last.ContactID != c.ID) {
			r.Lead = last.Edges.Lead
		}
		out[*c.AccountID] = append(out[*c.AccountID], r)
	}
	return out, nil
}

// newer orders activities as latestActivity does: occurred at, then id.
func newer(a, b *ent.Activity) bool {
	if !a.OccurredAt.Equal(b.OccurredAt) {
		return a.OccurredAt.After(b.OccurredAt)
	}
	return a.ID > b.ID
}
