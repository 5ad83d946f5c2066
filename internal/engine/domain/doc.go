// Package domain is the engine's model, its lowest layer: names and ids,
// deployment specs with their defaults and rules (Resolve is the one way to
// a ResolvedSpec), releases with ordered phases, environments, the
// deployment record with its rollout and history entries, the steps of a
// rollout plan and how they are named, the events sent to hooks, and the
// interfaces the adapters implement (HookSender, Checker, Querier, Logger,
// Clock). It imports no other layer and does no I/O.
package domain
