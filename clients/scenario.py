"""The integrator's scenario, run with the Python client that openapi-python-client generated
from openapi/openapi.json (clients.sh puts it on PYTHONPATH). Every call goes through the
generated code, and every answer must come back as the generated model, never `None` or
untyped: a schema the generator dropped or mistyped fails here.

usage: python scenario.py BASE_URL ADMIN_EMAIL ADMIN_PASSWORD

The server must be fresh or at least not know the addresses used here (they carry a run id).
"""

import sys
import uuid
from datetime import datetime, timedelta, timezone

from dorf_app_api_client import AuthenticatedClient, Client
from dorf_app_api_client.api.auth import login, register
from dorf_app_api_client.api.districts import create_district
from dorf_app_api_client.api.me import delete_my_account, export_me, get_me
from dorf_app_api_client.api.news import create_news, list_news
from dorf_app_api_client.api.push import create_push_subscription
from dorf_app_api_client.api.rides import accept_ride, create_ride, get_ride
from dorf_app_api_client.api.shops import create_shop, create_shop_notice, list_shop_notices
from dorf_app_api_client.api.users import grant_role
from dorf_app_api_client.models import (
    AccountExport,
    Authenticated,
    CreateDistrict,
    CreateNews,
    CreateRide,
    CreateShop,
    CreateShopNotice,
    DeleteMe,
    District,
    GrantRole,
    Login,
    NewPushSubscription,
    NewsCategory,
    NewsItem,
    NewsPage,
    NoticeKind,
    Problem,
    PushSubscription,
    Register,
    Ride,
    RidePurpose,
    RideStatus,
    RoleAssignment,
    RoleName,
    Shop,
    ShopNotice,
    ShopNoticePage,
    SubscriptionKeys,
    User,
)


def expect(response, model, status):
    """The parsed answer, which must be `model` with HTTP `status`."""
    parsed = response.parsed
    if response.status_code != status or not isinstance(parsed, model):
        body = response.content.decode("utf-8", "replace")[:500]
        raise SystemExit(
            f"expected {status} {model.__name__}, got {response.status_code} "
            f"{type(parsed).__name__}: {body}"
        )
    return parsed


def main(base, admin_email, admin_password):
    run = uuid.uuid4().hex[:8]
    anonymous = Client(base_url=base, raise_on_unexpected_status=True)

    def session(email, password):
        answer = login.sync_detailed(client=anonymous, body=Login(email=email, password=password))
        tokens = expect(answer, Authenticated, 200).tokens
        return AuthenticatedClient(base_url=base, token=tokens.access_token)

    admin = session(admin_email, admin_password)

    # The admin sets up a district, a shop and a helper with her roles.
    district = expect(
        create_district.sync_detailed(
            client=admin,
            body=CreateDistrict(slug=f"rieder-{run}", name=f"Rieder {run}"),
        ),
        District,
        201,
    )
    helper_password = "Helfer-Passwort-2026"
    helper = expect(
        register.sync_detailed(
            client=anonymous,
            body=Register(
                email=f"helfer-{run}@example.org",
                password=helper_password,
                display_name="Hanna Helfer",
            ),
        ),
        Authenticated,
        201,
    ).user
    shop = expect(
        create_shop.sync_detailed(
            client=admin,
            body=CreateShop(name="Dorfladen", district_id=district.id, address="Markt 1"),
        ),
        Shop,
        201,
    )
    for role, scope in [
        (RoleName.DISTRICT_LEADER, {"district_id": district.id}),
        (RoleName.DRIVER, {"district_id": district.id}),
        (RoleName.SHOP_OPERATOR, {"shop_id": shop.id}),
    ]:
        expect(
            grant_role.sync_detailed(helper.id, client=admin, body=GrantRole(role=role, **scope)),
            RoleAssignment,
            201,
        )
    staff = session(f"helfer-{run}@example.org", helper_password)

    # A resident registers and logs in.
    resident_email, resident_password = f"erna-{run}@example.org", "Erna-Passwort-2026"
    expect(
        register.sync_detailed(
            client=anonymous,
            body=Register(
                email=resident_email,
                password=resident_password,
                display_name="Erna Beispiel",
                home_district_id=district.id,
            ),
        ),
        Authenticated,
        201,
    )
    resident = session(resident_email, resident_password)
    me = expect(get_me.sync_detailed(client=resident), User, 200)
    assert me.email == resident_email, me.email

    # The district leader publishes three items; the resident reads them page by page.
    titles = [f"Nachricht {n} ({run})" for n in range(3)]
    for title in titles:
        expect(
            create_news.sync_detailed(
                client=staff,
                body=CreateNews(
                    title=title,
                    body="Der Sportplatz bleibt heute gesperrt.",
                    category=NewsCategory.ANNOUNCEMENT,
                    district_ids=[district.id],
                ),
                idempotency_key=str(uuid.uuid4()),
            ),
            NewsItem,
            201,
        )
    seen, cursor, pages = [], None, 0
    while True:
        kwargs = {"district_id": district.id, "limit": 2}
        if cursor:
            kwargs["cursor"] = cursor
        page = expect(list_news.sync_detailed(client=resident, **kwargs), NewsPage, 200)
        seen += [item.title for item in page.items]
        pages += 1
        cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
        if not cursor:
            break
        assert pages < 10, "the cursor does not end"
    assert sorted(seen) == sorted(titles), seen
    assert pages >= 2, f"three items at limit 2 came on {pages} page(s)"

    # The resident books a ride; the driver accepts it.
    pickup = (datetime.now(timezone.utc) + timedelta(days=1)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    ride = expect(
        create_ride.sync_detailed(
            client=resident,
            body=CreateRide(
                pickup_district_id=district.id,
                pickup_address="Lindenweg 3",
                destination="Praxis Dr. Weber, Kreisstadt",
                pickup_at=pickup,
                passengers=1,
                purpose=RidePurpose.MEDICAL,
            ),
            idempotency_key=str(uuid.uuid4()),
        ),
        Ride,
        201,
    )
    assert ride.status == RideStatus.REQUESTED, ride.status
    accepted = expect(accept_ride.sync_detailed(ride.id, client=staff), Ride, 200)
    assert accepted.status == RideStatus.ACCEPTED, accepted.status
    seen_by_rider = expect(get_ride.sync_detailed(ride.id, client=resident), Ride, 200)
    assert seen_by_rider.status == RideStatus.ACCEPTED, seen_by_rider.status

    # The shop operator posts a notice; residents see it.
    expect(
        create_shop_notice.sync_detailed(
            shop.id,
            client=staff,
            body=CreateShopNotice(
                kind=NoticeKind.NEW_STOCK, title="Frische Eier", body="Vom Hof Krüger."
            ),
        ),
        ShopNotice,
        201,
    )
    notices = expect(list_shop_notices.sync_detailed(shop.id, client=resident), ShopNoticePage, 200)
    assert [n.title for n in notices.items] == ["Frische Eier"], notices.items

    # The resident's phone subscribes to push (the keys of the spec's own example).
    subscription = expect(
        create_push_subscription.sync_detailed(
            client=resident,
            body=NewPushSubscription(
                endpoint=f"https://fcm.googleapis.com/fcm/send/scenario-{run}",
                keys=SubscriptionKeys(
                    p256dh="BLMbF9ffKBiWQLCKvTHb6LO8Nb6dcUh6TItC455vu2kElga6PQvUmaFyCdykxY2nOSSL3yKgfbmFLRTUaGv4yV8",
                    auth="xS03Fi5ErfTNH_l9WHE9Ig",
                ),
            ),
        ),
        PushSubscription,
        201,
    )

    # She exports her data, then deletes her account.
    export = expect(export_me.sync_detailed(client=resident), AccountExport, 200)
    assert export.user.email == resident_email
    assert ride.id in [r.id for r in export.rides], "the export lacks her ride"
    assert subscription.id in [s.id for s in export.push_subscriptions], "the export lacks her device"
    deleted = delete_my_account.sync_detailed(client=resident, body=DeleteMe(password=resident_password))
    assert deleted.status_code == 204, deleted.status_code
    gone = login.sync_detailed(client=anonymous, body=Login(email=resident_email, password=resident_password))
    problem = expect(gone, Problem, 401)
    assert problem.code, problem
    print(f"python scenario: all steps passed (run {run})")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
