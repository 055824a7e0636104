import { describe, expect, it } from "vitest";

import { count, duration } from "./plural";

describe("count", () => {
  it("uses the singular for one and the plural otherwise", () => {
    expect(count(1, "pending registration")).toBe("1 pending registration");
    expect(count(0, "pending registration")).toBe("0 pending registrations");
    expect(count(2, { one: "account holder", other: "account holders" })).toBe("2 account holders");
    expect(count(1, { one: "entry", other: "entries" })).toBe("1 entry");
    expect(count(1200, { one: "entry", other: "entries" })).toBe("1,200 entries");
  });
});

describe("duration", () => {
  it("says how long to wait, rounded up", () => {
    expect(duration(1)).toBe("1 second");
    expect(duration(0.2)).toBe("1 second");
    expect(duration(45)).toBe("45 seconds");
    expect(duration(61)).toBe("2 minutes");
    expect(duration(300)).toBe("5 minutes");
    expect(duration(3600)).toBe("1 hour");
  });
});
