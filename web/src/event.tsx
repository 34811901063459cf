// The event a desk works on, shared by its screens: a Preact context with
// its hook, so that screens neither take it through props nor import the
// page that provides it.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Category, Event, FieldDefinition } from "./gen/expopass/v1/event_pb";
import type { Delegation } from "./gen/expopass/v1/registration_pb";

/** What every view of the desk knows about the event. */
export interface EventContext {
  event: Event;
  categories: Category[];
  delegations: Delegation[];
  /** The event's custom registration fields, in order. */
  fields: FieldDefinition[];
  /** Re-reads the delegations (after a registration changes their use). */
  refreshDelegations(): void;
}

const Current = createContext<EventContext | null>(null);

/** Makes `value` the event of everything below it. */
export function EventProvider(props: { value: EventContext; children: preact.ComponentChildren }) {
  return <Current.Provider value={props.value}>{props.children}</Current.Provider>;
}

/** The event of the desk; only screens inside an `EventProvider` call it. */
export function useEvent(): EventContext {
  const ctx = useContext(Current);
  if (!ctx) throw new Error("useEvent outside an EventProvider");
  return ctx;
}
