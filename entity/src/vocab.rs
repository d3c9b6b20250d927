//! Every closed set of values, declared once: stored as text through `DeriveActiveEnum` (a
//! value this version does not know is a decoding error, never a silent default), read and
//! written by the rules unchanged, and exposed in the API as an OpenAPI enum (the `openapi`
//! feature, which only the server turns on).
//!
//! Each variant names its stored and wire value; changing one needs a migration and is a
//! breaking API change.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Declares a vocabulary enum with the derives every vocabulary shares; each variant names its
/// stored and wire value once.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident $(as $api_name:literal)? {
        $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)?
    }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, EnumIter, DeriveActiveEnum,
            Serialize, Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
        $(#[cfg_attr(feature = "openapi", oai(rename = $api_name))])?
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[sea_orm(string_value = $value)]
                #[serde(rename = $value)]
                #[cfg_attr(feature = "openapi", oai(rename = $value))]
                $variant
            ),+
        }

        impl $name {
            /// Every value, in declaration order (for lists that offer them, e.g. a form's
            /// choices), so that no caller writes the set again.
            pub const ALL: &'static [Self] = &[$($name::$variant),+];

            /// The stored and wire value.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }
        }
    };
}

vocabulary! {
    /// A role. `admin` and `dispatcher` are global; `district_leader` and `driver` hold for one
    /// district; `shop_operator` for one shop.
    Role as "RoleName" {
        /// Everything: users, roles, districts, shops.
        Admin = "admin",
        /// Ortsbürgermeister:in: news and statistics of one district.
        DistrictLeader = "district_leader",
        /// Fahrdienst-Koordination (Dorfkümmerer): all rides, bookings on behalf of others.
        Dispatcher = "dispatcher",
        /// Volunteer driver in one district (one assignment per district served).
        Driver = "driver",
        /// Operator of one village shop.
        ShopOperator = "shop_operator",
        /// Town staff (Verwaltung): handles the Anliegen forwarded to the town, for the whole
        /// town or for one topic (Fachbereich).
        TownStaff = "town_staff",
        /// Editor of one organisation (Verein, Kirchengemeinde, Feuerwehr, Jugendclub).
        OrganisationEditor = "organisation_editor",
    }
}

/// What a role is scoped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    District,
    Shop,
    /// The whole town, or one Anliegen topic.
    GlobalOrTopic,
    /// One organisation.
    Organisation,
}

impl Role {
    /// What this role is scoped to.
    pub fn scope(self) -> Scope {
        match self {
            Role::Admin | Role::Dispatcher => Scope::Global,
            Role::DistrictLeader | Role::Driver => Scope::District,
            Role::ShopOperator => Scope::Shop,
            Role::TownStaff => Scope::GlobalOrTopic,
            Role::OrganisationEditor => Scope::Organisation,
        }
    }
}

vocabulary! {
    /// What a ride is for; only counted in the statistics, never shown to other drivers.
    RidePurpose {
        /// Doctor, therapy, hospital.
        Medical = "medical",
        /// Pharmacy.
        Pharmacy = "pharmacy",
        /// Shopping.
        Shopping = "shopping",
        /// Authorities, bank, post office.
        Authority = "authority",
        /// Visits, church, club, culture.
        Social = "social",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// A need the driver must know about.
    MobilityAid {
        /// A rollator / walking frame to stow.
        Walker = "walker",
        /// A wheelchair (the car must take one).
        Wheelchair = "wheelchair",
        /// A companion rides along.
        Companion = "companion",
    }
}

vocabulary! {
    /// Where a ride (leg) stands.
    ///
    /// `requested` → `accepted` (a driver accepts, or a dispatcher assigns) → `in_progress` (start)
    /// → `completed`. `accepted` → `requested` when the driver releases it. `requested`/`accepted`
    /// → `cancelled` by the rider; also `in_progress` → `cancelled` by a dispatcher or admin.
    /// `accepted`/`in_progress` → `no_show` when the rider was not there. A ride still
    /// `requested` at its pickup time becomes `expired`.
    RideStatus {
        Requested = "requested",
        Accepted = "accepted",
        InProgress = "in_progress",
        Completed = "completed",
        Cancelled = "cancelled",
        NoShow = "no_show",
        Expired = "expired",
    }
}

vocabulary! {
    /// What a news item is.
    NewsCategory {
        /// News from the village.
        News = "news",
        /// An official announcement (amtliche Bekanntmachung).
        Announcement = "announcement",
        /// An event; the item carries `event` with its time and place.
        Event = "event",
        /// A warning (storm, water, road closure): pushed at once with high urgency, also during
        /// quiet hours.
        Warning = "warning",
    }
}

vocabulary! {
    /// What a shop notice is about.
    ShopNoticeKind as "NoticeKind" {
        /// A special offer.
        Offer = "offer",
        /// Something new on the shelves (fresh strawberries!).
        NewStock = "new_stock",
        /// Closed on some days.
        Closure = "closure",
        /// Something happening at the shop.
        Event = "event",
        /// Anything else.
        Info = "info",
    }
}

// `expired` is never stored: a published item whose `expires_at` has passed is read as expired,
// exact to the second and without a job.
vocabulary! {
    /// Where an item stands.
    NewsStatus {
        /// Being written; seen only by its author and its editors.
        Draft = "draft",
        /// Goes live at `publish_at` (within seconds); invisible until then.
        Scheduled = "scheduled",
        /// In the feed.
        Published = "published",
        /// Was published; `expires_at` has passed, so it left the feed.
        Expired = "expired",
    }
}

// Not stored; a closed set of the API all the same.
vocabulary! {
    /// Which rides a list shows.
    RideScope {
        /// The caller's own rides (as rider, or booked by them for a person without an account).
        Mine = "mine",
        /// Drivers: open rides of their districts and the rides assigned to them.
        Driver = "driver",
        /// Dispatchers and admins: every ride.
        All = "all",
    }
}

vocabulary! {
    /// Who acted on a ride, as its history shows it.
    RideActorRole {
        /// The rider, or whoever booked for a person without an account.
        Rider = "rider",
        /// A driver of the district (accepting, releasing, driving).
        Driver = "driver",
        /// The ride desk.
        Dispatcher = "dispatcher",
        /// An administrator.
        Admin = "admin",
        /// The server itself (a ride nobody accepted expired).
        System = "system",
    }
}

vocabulary! {
    /// Why the ride desk should call a rider who was booked by phone: a change they did not
    /// make themselves and have not yet been told of.
    RideCallbackReason {
        /// A driver took the ride (or the desk assigned one).
        DriverFound = "driver_found",
        /// The driver gave the ride back; it waits for another.
        Released = "released",
        /// Nobody took it by its pickup time.
        NoDriver = "no_driver",
        /// Called off (by the desk, the driver's side, or the system).
        Cancelled = "cancelled",
        /// The pickup time was changed.
        Rescheduled = "rescheduled",
        /// The rider texted something the system could not act on ("Ich bin krank").
        SmsReply = "sms_reply",
    }
}

vocabulary! {
    /// What a notification is about.
    NoticeKind as "NotificationKind" {
        /// A news item of a followed district (warnings included).
        News = "news",
        /// A notice of a followed shop.
        ShopNotice = "shop_notice",
        /// Drivers: a ride of their district is open.
        RideRequest = "ride_request",
        /// Something happened to one's own ride (accepted, released, cancelled …).
        RideUpdate = "ride_update",
        /// `POST /push/test`: passes quiet hours, since the person asked just now.
        Test = "test",
        /// An Anliegen one wrote or supports changed or was answered. Sent whatever the
        /// categories chosen; only muting that one Anliegen stops its pushes (the inbox keeps
        /// every answer).
        AnliegenUpdate = "anliegen_update",
        /// Handlers: a new Anliegen, or an author's addition, waits in their queue.
        AnliegenQueue = "anliegen_queue",
        /// A poll one voted in says what came of it.
        PollOutcome = "poll_outcome",
        /// A new event in a followed district (category `event`).
        EventNew = "event_new",
        /// A followed event was moved or cancelled, or one of its dates changed.
        EventUpdate = "event_update",
        /// A followed event takes place tomorrow, or in an hour.
        EventReminder = "event_reminder",
        /// A shift one signed up for is tomorrow.
        ShiftReminder = "shift_reminder",
        /// Admins: the month's SMS budget is 80 % used, or used up (once per month and level).
        SmsBudget = "sms_budget",
    }
}

vocabulary! {
    /// What tapping a notification opens.
    TargetType as "NotificationTargetType" {
        /// A news item (`id`).
        News = "news",
        /// A shop notice (`id`, and `shop_id`).
        ShopNotice = "shop_notice",
        /// A ride (`id`).
        Ride = "ride",
        /// An Anliegen (`id`).
        Anliegen = "anliegen",
        /// A poll (`id`).
        Poll = "poll",
        /// An event (`id`).
        Event = "event",
        /// Nothing: a test notification.
        Test = "test",
        /// The SMS status (`getSmsStatus`; the console's admin page). No `id`.
        SmsStatus = "sms_status",
    }
}

// Internal vocabularies: stored, never on the wire.

vocabulary! {
    /// How urgently a notice is delivered (Web Push `Urgency`).
    Urgency {
        Normal = "normal",
        /// Ride updates: `Urgency: high`, but they wait for the end of quiet hours like the rest.
        High = "high",
        /// Warnings (storm, water): `Urgency: high`, and the only pushes that pass quiet hours.
        Warning = "warning",
    }
}

vocabulary! {
    /// The kind of audience rule a notice names (the rule itself: `domain::notices::Audience`).
    AudienceKind {
        /// Residents following news of some districts (or the whole municipality).
        Districts = "districts",
        /// Everyone following one shop.
        ShopFollowers = "shop_followers",
        /// The drivers serving one district.
        DistrictDrivers = "district_drivers",
        /// One person.
        User = "user",
        /// The author and supporters of one Anliegen (and of those merged into it).
        AnliegenFollowers = "anliegen_followers",
        /// The district leaders of one district.
        DistrictLeaders = "district_leaders",
        /// Town staff: town-wide, and those of one topic.
        TownStaff = "town_staff",
        /// Everyone who voted in one poll.
        PollVoters = "poll_voters",
        /// Everyone following one event.
        EventFollowers = "event_followers",
        /// The followers of one event who want to be reminded a day before.
        EventRemindDay = "event_remind_day",
        /// The followers of one event who want to be reminded an hour before.
        EventRemindHour = "event_remind_hour",
        /// Everyone signed up for one shift of an event.
        ShiftHelpers = "shift_helpers",
        /// Everyone holding the role `admin`.
        Admins = "admins",
    }
}

vocabulary! {
    /// Where a notice stands in expansion.
    NoticeStatus {
        /// Waiting for (or in) expansion.
        Pending = "pending",
        /// Inbox entries and deliveries are written.
        Expanded = "expanded",
        /// What it was about was deleted before it went out.
        Withdrawn = "withdrawn",
    }
}

vocabulary! {
    /// What became of one push to one device.
    DeliveryStatus {
        Pending = "pending",
        Sent = "sent",
        /// Given up (refused, or out of attempts).
        Failed = "failed",
        /// The device unsubscribed or was removed.
        Gone = "gone",
        /// A newer notice of the same topic replaced it before it went out.
        Superseded = "superseded",
    }
}

vocabulary! {
    /// What an uploaded photo was, as recognised from its bytes (stored; shown in the export).
    MediaSourceType {
        Jpeg = "jpeg",
        Png = "png",
        WebP = "webp",
    }
}

vocabulary! {
    /// What a row of `quota_use` counts: limited actions that no other table records.
    QuotaKind {
        /// A registration, keyed by the client address.
        Registration = "registration",
        /// An "Ich auch" for an Anliegen, keyed by the person.
        AnliegenSupport = "anliegen_support",
        /// A verification code sent by SMS, keyed by the person and, separately, the number.
        SmsCode = "sms_code",
        /// An automatic answer to a text message, keyed by the number.
        SmsReply = "sms_reply",
    }
}

vocabulary! {
    /// Where a background job stands (a finished job is deleted).
    JobStatus {
        Pending = "pending",
        /// Out of attempts; kept for an operator to look at.
        Dead = "dead",
    }
}

vocabulary! {
    /// What an Anliegen is.
    AnliegenKind {
        /// Something is broken or dangerous (Mangel): a pothole, a dark street lamp.
        Defect = "defect",
        /// A proposal (Idee).
        Idea = "idea",
        /// A question to the district or the town (Frage).
        Question = "question",
    }
}

vocabulary! {
    /// Where an Anliegen stands.
    ///
    /// `received` → `in_review` (the district looks at it) → `forwarded` (to the town, with a
    /// topic) → `in_progress` → `done` | `declined` | `duplicate` (merged into another). The
    /// district may also start or close what it handles itself; every step carries a public
    /// answer.
    AnliegenStatus {
        Received = "received",
        InReview = "in_review",
        Forwarded = "forwarded",
        InProgress = "in_progress",
        Done = "done",
        Declined = "declined",
        Duplicate = "duplicate",
    }
}

impl AnliegenStatus {
    /// Still waiting for an end (`received`, `in_review`, `forwarded`, `in_progress`).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Received | Self::InReview | Self::Forwarded | Self::InProgress
        )
    }
}

vocabulary! {
    /// Who can read an Anliegen beyond its author and handlers.
    AnliegenPublication {
        /// Only the author and the handlers (the default).
        Private = "private",
        /// Public (its public text, never the author's name).
        Published = "published",
        /// Was public; taken down by the district with a reason the author is told.
        Hidden = "hidden",
    }
}

vocabulary! {
    /// Who acted on an Anliegen, as its history shows it.
    AnliegenActorRole {
        /// The author (or whoever filed it for someone without an account).
        Author = "author",
        /// The district's leader.
        DistrictLeader = "district_leader",
        /// Town staff.
        TownStaff = "town_staff",
        /// The ride desk, filing on someone's behalf.
        Dispatcher = "dispatcher",
        /// An administrator.
        Admin = "admin",
    }
}

vocabulary! {
    /// What an entry of an Anliegen's history records.
    AnliegenEventKind {
        /// A change of status, with its public answer.
        Transition = "transition",
        /// A public answer without a change of status.
        Answer = "answer",
        /// An addition by the author, for the handlers only.
        AuthorUpdate = "author_update",
        /// Made public.
        Published = "published",
        /// Taken down, with a reason.
        Hidden = "hidden",
        /// Public again.
        Unhidden = "unhidden",
    }
}

vocabulary! {
    /// How an Anliegen reached the district (shown to its handlers).
    AnliegenSource {
        /// Filed by the author in an app.
        App = "app",
        /// Filed by the ride desk or an administrator during a call.
        Phone = "phone",
        /// Filed by an integrator through Open311 (`/open311/v2`).
        Open311 = "open311",
    }
}

vocabulary! {
    /// Why someone follows an Anliegen (shown in their export).
    AnliegenFollowerRelation {
        Author = "author",
        /// Said "Ich auch".
        Supporter = "supporter",
        /// Followed an Anliegen that was merged into this one.
        Merged = "merged",
    }
}

vocabulary! {
    /// Who may vote in a poll.
    PollElectorate {
        /// People whose home district (`home_district_id`) is the poll's.
        DistrictResidents = "district_residents",
        /// Everyone with an account.
        Everyone = "everyone",
    }
}

vocabulary! {
    /// When a poll's results show.
    PollResults {
        /// Only after the close, so early counts sway nobody.
        AfterClose = "after_close",
        /// While it runs.
        Live = "live",
    }
}

// Not stored; a closed set of the API all the same.
vocabulary! {
    /// Where a poll stands in time.
    PollState {
        /// Not open yet.
        Upcoming = "upcoming",
        /// Taking votes.
        Open = "open",
        /// Closed.
        Closed = "closed",
    }
}

vocabulary! {
    /// What kind of organisation publishes.
    OrganisationKind {
        /// A club (Verein).
        Verein = "verein",
        /// A parish (Kirchengemeinde).
        Kirchengemeinde = "kirchengemeinde",
        /// The volunteer fire brigade (Freiwillige Feuerwehr).
        Feuerwehr = "feuerwehr",
        /// A youth club (Jugendclub).
        Jugendclub = "jugendclub",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// What an event is.
    EventCategory {
        /// A village festival (Dorffest, Schützenfest, Pfingstfest).
        Festival = "festival",
        /// A club evening or meeting of a Verein.
        Club = "club",
        /// Church: service, concert, parish event.
        Church = "church",
        /// Sport.
        Sport = "sport",
        /// Culture: concert, reading, exhibition, theatre.
        Culture = "culture",
        /// For young people.
        Youth = "youth",
        /// For older people (Seniorennachmittag).
        Seniors = "seniors",
        /// Market, flea market.
        Market = "market",
        /// Council, residents' meeting, consultation hour.
        Meeting = "meeting",
        /// Anything else.
        Other = "other",
    }
}

vocabulary! {
    /// Whether an event (or one occurrence) takes place as planned.
    EventStatus {
        /// As planned.
        Scheduled = "scheduled",
        /// Moved to a new time; the old one is kept (`moved_from`).
        Moved = "moved",
        /// Does not take place.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// Who can see an event.
    EventPublication {
        /// Only its organisers, the district's leaders and admins.
        Draft = "draft",
        /// Everyone: calendars, feeds.
        Published = "published",
        /// Taken down by a district leader or an admin, with a reason the organiser is told.
        Unpublished = "unpublished",
    }
}

vocabulary! {
    /// What happened to one occurrence of a series.
    EventExceptionKind {
        /// It does not take place.
        Cancelled = "cancelled",
        /// It takes place at another time.
        Moved = "moved",
    }
}

vocabulary! {
    /// When a follower of an event is reminded of each date.
    EventReminder {
        /// Not at all (changes are still told).
        None = "none",
        /// An hour before.
        Hour = "hour",
        /// A day before.
        Day = "day",
    }
}

vocabulary! {
    /// What a number may be sent text messages about (each consented to on its own).
    SmsPurpose {
        /// Her rides: confirmed, reminded, changed, and the answers to her replies.
        Rides = "rides",
        /// Warnings (news of the kind `warning`) of the recipient's district.
        Warnings = "warnings",
    }
}

vocabulary! {
    /// A consent record: given or withdrawn.
    ConsentAction {
        Given = "given",
        Withdrawn = "withdrawn",
    }
}

vocabulary! {
    /// How a consent was given or withdrawn: the proof behind the record.
    ConsentMethod {
        /// A code sent to the number and entered back by the resident.
        SmsCode = "sms_code",
        /// In the app, by the signed-in resident (withdrawals, changes).
        App = "app",
        /// On the phone to the ride desk, who read the consent text out.
        DeskPhone = "desk_phone",
        /// In person at the desk or the town hall.
        DeskInPerson = "desk_in_person",
        /// On paper, kept by the town.
        DeskWritten = "desk_written",
        /// A reply STOP.
        SmsStop = "sms_stop",
        /// By an administrator (e.g. a number found to be someone else's).
        Admin = "admin",
    }
}

vocabulary! {
    /// What a text message is.
    SmsKind {
        /// A verification code.
        Code = "code",
        /// The first message after the desk recorded a consent: says what will come and how to
        /// stop it (and shows that the number is right).
        Welcome = "welcome",
        RideConfirmed = "ride_confirmed",
        RideReminder = "ride_reminder",
        RideReleased = "ride_released",
        RideNoDriver = "ride_no_driver",
        RideCancelled = "ride_cancelled",
        RideRescheduled = "ride_rescheduled",
        /// An answer to a reply ("Ihre Fahrt ist abgesagt", the help text).
        Reply = "reply",
        /// The one confirmation of a STOP.
        StopConfirmed = "stop_confirmed",
        Warning = "warning",
    }
}

vocabulary! {
    /// Where a text message stands.
    SmsStatus {
        /// Queued, or waiting for its next try.
        Pending = "pending",
        /// Taken by the provider.
        Sent = "sent",
        /// The provider's report: it reached the phone.
        Delivered = "delivered",
        /// The provider's report: it did not (switched off too long, rejected, expired).
        Undelivered = "undelivered",
        /// Refused by the provider as it is (a number or text it does not take).
        Failed = "failed",
        /// Out of attempts; kept for an administrator to look at.
        Dead = "dead",
        /// Not sent: the month's budget was used up and it was not urgent.
        OverBudget = "over_budget",
        /// Not sent: the consent was withdrawn, or the cause went away, before it left.
        Cancelled = "cancelled",
    }
}

vocabulary! {
    /// What the server did with a provider's webhook (not stored; the answer to it).
    SmsWebhookOutcome {
        /// Acted on.
        Processed = "processed",
        /// The same message came again and was acted on once.
        Resend = "resend",
        /// An event or message this server does not know: nothing done.
        Ignored = "ignored",
    }
}

vocabulary! {
    /// What a message to our number was taken to mean.
    SmsReplyMeaning {
        /// "1": yes, as asked.
        Confirm = "confirm",
        /// "2": call the ride off.
        Cancel = "cancel",
        /// STOP: no more messages.
        Stop = "stop",
        /// HILFE or "?".
        Help = "help",
        /// A 1 or 2 when more than one question is open, or none: answered with help, no action.
        Ambiguous = "ambiguous",
        /// Anything else.
        Unknown = "unknown",
    }
}
