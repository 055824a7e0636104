// The balance-over-time chart (Recharts, loaded on demand so the rest of the app does not carry
// it). The picture is for sighted people; its text alternative (the caption, a one-line summary
// and the data table next to it, in Overview.tsx) is what assistive technology reads, so the
// chart itself is hidden from it and takes no keyboard focus.

import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatMinor } from "../money/amount";
import type { DayBalance } from "./history";

const DAY = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });

function dayLabel(date: string): string {
  return DAY.format(new Date(`${date}T00:00:00Z`));
}

export default function BalanceChart({ points, currency }: { points: readonly DayBalance[]; currency: string }) {
  const data = points.map((point) => ({ ...point, label: dayLabel(point.date) }));
  return (
    <div className="chart-box" aria-hidden="true" data-testid="balance-chart">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }} accessibilityLayer={false}>
          <CartesianGrid stroke="#d0d6dc" strokeDasharray="3 3" />
          <XAxis dataKey="label" tick={{ fill: "#4a5560", fontSize: 12 }} minTickGap={24} />
          <YAxis
            width={72}
            tick={{ fill: "#4a5560", fontSize: 12 }}
            tickFormatter={(value: number) => formatMinor(value, currency)}
          />
          <Tooltip
            formatter={(value) => [`${formatMinor(Number(value), currency)} ${currency}`, "Balance"]}
          />
          <Area
            type="stepAfter"
            dataKey="balance"
            stroke="#0b57d0"
            strokeWidth={2}
            fill="#e8f0fe"
            isAnimationActive={false}
          />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
