// The records the consumer apps update (deals seeded by the emulator: "1".."N", external ids "ext-N").
export const inputs = [
  { id: "1", properties: { dealstage: "closedwon", amount: 1500.5, closedate: new Date(Date.UTC(2026, 0, 15)) } },
  { id: "2", properties: { dealname: "Renewal 2026", tags: ["renewal", "smb"] } },
  { id: "ext-3", idProperty: "deal_external_id", properties: { description: null } },
  { id: "4", properties: { amount: 42 } },
  { id: "999999", properties: { dealname: "nobody has this id" } },
  { id: "5", properties: { dealstage: "not-a-stage" } },
];
