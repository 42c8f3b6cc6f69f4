//! Paging as streams: `limit=100`, follow `next_page.offset` one page at a
//! time (never a whole listing in memory), and restart from the first page
//! when Asana says the offset expired.
//!
//! # Repeats after a restart
//!
//! After a restart the listing is read again from its start, so items already
//! yielded would come again. The stream drops them: it remembers the gid of
//! every item it yielded (a few dozen bytes each, so a 50,000-task project
//! costs a few MB at most) and yields each gid once. Items that moved between
//! pages while Asana's list changed are likewise yielded once. An item that
//! changed after it was yielded is not yielded again within the same listing;
//! the next sync picks the change up.

use std::{collections::HashSet, marker::PhantomData};

use futures::{Stream, TryStreamExt, stream};
use serde::{Deserialize, de::DeserializeOwned};
use tracing::warn;

use super::{AsanaClient, Error, Gid, HasGid, Result, Target};

/// Items per page: Asana's maximum, always sent.
pub const PAGE_LIMIT: u32 = 100;

/// Restarts after an expired offset before the listing fails.
pub const MAX_RESTARTS: u32 = 3;

/// One page of a listing: `{"data": [...], "next_page": {...} | null}`.
#[derive(Debug, Deserialize)]
pub struct Page<T> {
    /// The page's items (without any already yielded by this stream).
    pub data: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    #[serde(default)]
    pub next_page: Option<NextPage>,
}

/// Asana's pointer to the next page.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct NextPage {
    /// The opaque offset token (expires after some minutes).
    pub offset: String,
    /// The next page's path relative to the API root, query included.
    #[serde(default)]
    pub path: Option<String>,
    /// The next page's absolute URI.
    #[serde(default)]
    pub uri: Option<String>,
}

/// The state of one listing between pages.
struct Pager<T> {
    client: AsanaClient,
    target: Target,
    path: String,
    query: Vec<(&'static str, String)>,
    offset: Option<String>,
    seen: HashSet<Gid>,
    restarts: u32,
    done: bool,
    item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned + HasGid> Pager<T> {
    /// The next non-empty page (or the last page), restarting on an expired offset.
    async fn next_page(&mut self) -> Result<Page<T>> {
        loop {
            let mut query = self.query.clone();
            query.push(("limit", PAGE_LIMIT.to_string()));
            if let Some(offset) = &self.offset {
                query.push(("offset", offset.clone()));
            }
            let mut page = match self
                .client
                .get::<Page<T>>(&self.target, &self.path, &query)
                .await
            {
                Ok(page) => page,
                Err(Error::OffsetExpired { .. }) if self.offset.is_some() => {
                    self.restart()?;
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.client.record_page();
            self.offset = page.next_page.as_ref().map(|n| n.offset.clone());
            self.done = self.offset.is_none();
            page.data
                .retain(|item| self.seen.insert(item.gid().clone()));
            if !page.data.is_empty() || self.done {
                return Ok(page);
            }
        }
    }

    fn restart(&mut self) -> Result<()> {
        if self.restarts >= MAX_RESTARTS {
            return Err(Error::TooManyRestarts {
                target: self.target.clone(),
                restarts: self.restarts,
            });
        }
        self.restarts += 1;
        self.offset = None;
        warn!(
            asana.target = %self.target,
            paging.restarts = self.restarts,
            paging.items_seen = self.seen.len(),
            "Asana pagination token expired; restarting the listing from its first page"
        );
        Ok(())
    }
}

impl AsanaClient {
    /// Pages of the listing at `path` with `query` (which should hold
    /// `opt_fields`); `limit` and `offset` are added here. The stream ends
    /// after the last page or at the first error (yielded).
    pub fn pages<T>(
        &self,
        target: Target,
        path: String,
        query: Vec<(&'static str, String)>,
    ) -> impl Stream<Item = Result<Page<T>>> + Send + 'static
    where
        T: DeserializeOwned + HasGid + Send + 'static,
    {
        let pager = Pager {
            client: self.clone(),
            target,
            path,
            query,
            offset: None,
            seen: HashSet::new(),
            restarts: 0,
            done: false,
            item: PhantomData,
        };
        stream::try_unfold(pager, |mut pager| async move {
            if pager.done {
                return Ok(None);
            }
            let page = pager.next_page().await?;
            Ok(Some((page, pager)))
        })
    }
}

/// Flattens a stream of pages into a stream of items.
pub fn items<T, S>(pages: S) -> impl Stream<Item = Result<T>> + Send
where
    S: Stream<Item = Result<Page<T>>> + Send,
    T: Send,
{
    pages
        .map_ok(|page| stream::iter(page.data.into_iter().map(Ok)))
        .try_flatten()
}
