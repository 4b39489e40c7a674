package graph

import (
	"io"
	"sort"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/qualify/qualify/graph/model"
	"github.com/qualify/qualify/internal/domainerr"
	"github.com/qualify/qualify/internal/leadimport"
	"github.com/qualify/qualify/internal/webhook"
)

// maxImportBytes caps an uploaded file read into memory (the server caps the request too).
const maxImportBytes = 64 << 20

func webhookSpec(url, description *string, eventTypes, from, to, teams []string, owner *int, enabled *bool) webhook.Spec {
	return webhook.Spec{
		URL: url, Description: description, OwnerID: owner, Enabled: enabled,
		EventTypes: eventTypes, SetEventTypes: eventTypes != nil,
		FromStages: from, SetFrom: from != nil,
		ToStages: to, SetTo: to != nil,
		Teams: teams, SetTeams: teams != nil,
	}
}

func graceOf(seconds *int) time.Duration {
	if seconds == nil {
		return 24 * time.Hour
	}
	return time.Duration(*seconds) * time.Second
}

func columnMap(cols []*model.ImportColumnInput) map[string]string {
	m := make(map[string]string, len(cols))
	for _, c := range cols {
		m[c.Header] = c.Field
	}
	return m
}

func columnList(m map[string]string) []*model.ImportColumn {
	out := make([]*model.ImportColumn, 0, len(m))
	for h, f := range m {
		out = append(out, &model.ImportColumn{Header: h, Field: f})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Header < out[j].Header })
	return out
}

func importOptions(file graphql.Upload, in *model.ImportLeadsInput) ([]byte, leadimport.Options, error) {
	raw, err := io.ReadAll(io.LimitReader(file.File, maxImportBytes+1))
	if err != nil {
		return nil, leadimport.Options{}, err
	}
	if len(raw) > maxImportBytes {
		return nil, leadimport.Options{}, domainerr.Validation("file", "larger than 64 MiB: use qualify import")
	}
	o := leadimport.Options{FileName: file.Filename}
	if in != nil {
		if in.Mapping != nil {
			o.Mapping = *in.Mapping
		}
		o.Columns = columnMap(in.Columns)
		if in.DefaultSource != nil {
			o.DefaultSource = *in.DefaultSource
		}
		o.DryRun = in.DryRun != nil && *in.DryRun
	}
	return raw, o, nil
}
