// The integrator's scenario in TypeScript: types from openapi-typescript (./schema, generated
// from openapi/openapi.json by clients.sh), calls through openapi-fetch. `tsc --strict` checks
// it against the generated types (a wrong path, field or enum value fails to compile); node
// then runs it against a live server.
//
// usage: node scenario.js BASE_URL ADMIN_EMAIL ADMIN_PASSWORD
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

const [base, adminEmail, adminPassword] = process.argv.slice(2);
if (!base || !adminEmail || !adminPassword) {
  throw new Error("usage: node scenario.js BASE_URL ADMIN_EMAIL ADMIN_PASSWORD");
}
const api = createClient<paths>({ baseUrl: base });
const run = Math.random().toString(16).slice(2, 10);

/** The typed answer of a call that must succeed with `status`. */
function expect<T>(
  answer: { data?: T; error?: unknown; response: Response },
  status: number,
  what: string,
): T {
  if (answer.response.status !== status || answer.data === undefined) {
    throw new Error(
      `${what}: expected ${status}, got ${answer.response.status} ${JSON.stringify(answer.error)}`,
    );
  }
  return answer.data;
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`check failed: ${what}`);
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function login(email: string, password: string): Promise<string> {
  const body: Schemas["Login"] = { email, password };
  const session = expect(await api.POST("/api/v1/auth/login", { body }), 200, "login");
  return session.tokens.access_token;
}

async function main(): Promise<void> {
  const admin = bearer(await login(adminEmail!, adminPassword!));

  // The admin sets up a district, a shop and a helper with her roles.
  const district = expect(
    await api.POST("/api/v1/districts", {
      headers: admin,
      body: { slug: `oberdorf-${run}`, name: `Oberdorf ${run}` },
    }),
    201,
    "create district",
  );
  const helperEmail = `helfer-ts-${run}@example.org`;
  const helperPassword = "Helfer-Passwort-2026";
  const helper = expect(
    await api.POST("/api/v1/auth/register", {
      body: { email: helperEmail, password: helperPassword, display_name: "Hans Helfer" },
    }),
    201,
    "register helper",
  ).user;
  const shop = expect(
    await api.POST("/api/v1/shops", {
      headers: admin,
      body: { name: "Hofladen", district_id: district.id, address: "Dorfstraße 7" },
    }),
    201,
    "create shop",
  );
  const grants: Schemas["GrantRole"][] = [
    { role: "district_leader", district_id: district.id },
    { role: "driver", district_id: district.id },
    { role: "shop_operator", shop_id: shop.id },
  ];
  for (const body of grants) {
    expect(
      await api.POST("/api/v1/users/{id}/roles", {
        params: { path: { id: helper.id } },
        headers: admin,
        body,
      }),
      201,
      `grant ${body.role}`,
    );
  }
  const staff = bearer(await login(helperEmail, helperPassword));

  // A resident registers and logs in.
  const email = `otto-${run}@example.org`;
  const password = "Otto-Passwort-2026";
  expect(
    await api.POST("/api/v1/auth/register", {
      body: { email, password, display_name: "Otto Beispiel", home_district_id: district.id },
    }),
    201,
    "register resident",
  );
  const resident = bearer(await login(email, password));
  const me = expect(await api.GET("/api/v1/me", { headers: resident }), 200, "me");
  check(me.email === email, "GET /me is the resident");

  // The district leader publishes three items; the resident reads them page by page.
  const titles = [0, 1, 2].map((n) => `Meldung ${n} (${run})`);
  for (const title of titles) {
    expect(
      await api.POST("/api/v1/news", {
        headers: { ...staff, "Idempotency-Key": crypto.randomUUID() },
        body: {
          title,
          body: "Die Kreisstraße ist bis Freitag gesperrt.",
          category: "announcement",
          district_ids: [district.id],
        },
      }),
      201,
      "publish news",
    );
  }
  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const query: { district_id: string; limit: number; cursor?: string } = {
      district_id: district.id,
      limit: 2,
    };
    if (cursor) query.cursor = cursor;
    const page = expect(
      await api.GET("/api/v1/news", { headers: resident, params: { query } }),
      200,
      "read the feed",
    );
    seen.push(...page.items.map((item) => item.title));
    cursor = page.next_cursor ?? undefined;
    pages += 1;
    check(pages < 10, "the cursor ends");
  } while (cursor);
  check(
    JSON.stringify([...seen].sort()) === JSON.stringify([...titles].sort()),
    `the feed by cursor holds the three items (${seen})`,
  );
  check(pages >= 2, "three items at limit 2 come on two pages");

  // The resident books a ride; the driver accepts it.
  const pickup = new Date(Date.now() + 24 * 3600 * 1000);
  pickup.setUTCHours(9, 30, 0, 0);
  const ride = expect(
    await api.POST("/api/v1/rides", {
      headers: { ...resident, "Idempotency-Key": crypto.randomUUID() },
      body: {
        pickup_district_id: district.id,
        pickup_address: "Lindenweg 3",
        destination: "Apotheke am Markt, Kreisstadt",
        pickup_at: pickup.toISOString(),
        passengers: 1,
        purpose: "pharmacy",
      },
    }),
    201,
    "book a ride",
  );
  check(ride.status === "requested", "a new ride is requested");
  const accepted = expect(
    await api.POST("/api/v1/rides/{id}/accept", {
      params: { path: { id: ride.id } },
      headers: staff,
    }),
    200,
    "accept the ride",
  );
  check(accepted.status === "accepted", "the driver's accept holds");

  // The shop operator posts a notice; residents see it.
  expect(
    await api.POST("/api/v1/shops/{id}/notices", {
      params: { path: { id: shop.id } },
      headers: staff,
      body: { kind: "offer", title: "Kartoffeln im Angebot", body: "5 kg für 4 Euro." },
    }),
    201,
    "post a shop notice",
  );
  const notices = expect(
    await api.GET("/api/v1/shops/{id}/notices", {
      params: { path: { id: shop.id } },
      headers: resident,
    }),
    200,
    "list shop notices",
  );
  check(notices.items.some((n) => n.title === "Kartoffeln im Angebot"), "the notice is listed");

  // The resident's browser subscribes to push with what PushSubscription.toJSON() gives.
  const subscription = expect(
    await api.POST("/api/v1/push/subscriptions", {
      headers: resident,
      body: {
        endpoint: `https://fcm.googleapis.com/fcm/send/scenario-ts-${run}`,
        expirationTime: null,
        keys: {
          p256dh:
            "BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8",
          auth: "xS03Fi5ErfTNH_l9WHE9Ig",
        },
      },
    }),
    201,
    "subscribe to push",
  );

  // Export, then delete the account; the password no longer logs in.
  const exported = expect(
    await api.GET("/api/v1/me/export", { headers: resident }),
    200,
    "export",
  );
  check(exported.user.email === email, "the export is hers");
  check(exported.rides.some((r) => r.id === ride.id), "the export holds her ride");
  check(
    exported.push_subscriptions.some((s) => s.id === subscription.id),
    "the export holds her device",
  );
  const deleted = await api.POST("/api/v1/me/delete", { headers: resident, body: { password } });
  check(deleted.response.status === 204, `delete answers 204, not ${deleted.response.status}`);
  const gone = await api.POST("/api/v1/auth/login", { body: { email, password } });
  const problem: Schemas["Problem"] | undefined = gone.error;
  check(gone.response.status === 401 && !!problem?.code, "a deleted account cannot log in");
  console.log(`typescript scenario: all steps passed (run ${run})`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
