// The words for couriers' delivery events and import kinds. Unknown values (a newer service)
// are shown as they come rather than hidden.

import type { DeliveryKind } from "../api/types";

const EVENT_NAMES: Readonly<Record<string, string>> = {
  picked_up: "Picked up",
  delivery_exception: "Delivery exception",
  delivered: "Delivered",
  returned: "Returned",
};

export function eventName(event: string): string {
  return EVENT_NAMES[event] ?? event;
}

export const KIND_NAMES: Readonly<Record<DeliveryKind, string>> = {
  pickup: "Pickups",
  delivery_exception: "Delivery exceptions",
  delivered: "Deliveries",
  returned: "Returns",
};

export function kindName(kind: string): string {
  return (KIND_NAMES as Partial<Record<string, string>>)[kind] ?? kind;
}
