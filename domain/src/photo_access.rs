//! Who may see a photo's renditions. The answer depends on what shows the photo — a news
//! item's own rule (drafts), a shop notice's start, a shop's public page — so it sits above
//! `media`, `news` and `shops`: those two use `media`, `media` knows neither, and each owner
//! says who may see its own photos (`news::photo_sight`, `shops::notice_photo_sight`).

use ::media::{Encoding, store::MediaStore};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    DomainResult, anliegen,
    auth::Actor,
    clock::SharedClock,
    media::{self, Sight, Thing},
    news, shops,
};

/// A rendition as served: the bytes, and whether everyone may see them (so caches may keep
/// them) or only this caller.
#[derive(Clone, Debug)]
pub struct Served {
    pub bytes: bytes::Bytes,
    pub public: bool,
}

/// One rendition for a reader; 404 for a size that was not rendered and for a photo the
/// caller may not see.
#[allow(clippy::too_many_arguments)] // the handles, the caller, and which file
pub async fn open(
    conn: &impl ConnectionTrait,
    clock: &SharedClock,
    store: &MediaStore,
    actor: Option<&Actor>,
    id: Uuid,
    width: u32,
    encoding: Encoding,
) -> DomainResult<Served> {
    let (mut sight, things) = media::rendition_of(conn, actor, id, width).await?;
    for thing in things {
        if sight == Sight::Everyone {
            break;
        }
        let said = match thing {
            // A shop's page is public.
            Thing::Shop(_) => Sight::Everyone,
            Thing::ShopNotice(notice) => {
                shops::notice_photo_sight(conn, clock, actor, notice).await?
            }
            Thing::News(item) => news::photo_sight(conn, clock, actor, item).await?,
            Thing::Anliegen(id) => anliegen::photo_sight(conn, actor, id).await?,
            Thing::Event(id) => crate::events::photo_sight(conn, actor, id).await?,
        };
        sight = sight.max(said);
    }
    if sight == Sight::Nobody {
        return Err(media::not_found());
    }
    Ok(Served {
        bytes: media::read(store, id, width, encoding).await?,
        public: sight == Sight::Everyone,
    })
}
