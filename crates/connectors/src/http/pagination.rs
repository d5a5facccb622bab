//! One walk through a paged listing, shared by every connector: ask for a page, hand it to the
//! caller, and decide from the page — and from what the caller made of it — whether there is a
//! next page and which request fetches it.
//!
//! The loop used to be written out in each connector, and each copy carried its own reading of
//! when a listing ends: a short page, an empty one, `isLast` missing, a cursor served twice. Here
//! each rule is written once, named after the API shape it belongs to, and tested; a connector
//! says how its endpoint pages ([`Pager`]), what a page looks like ([`Listing`]) and what to do
//! with one, and answers [`Flow::Stop`] when a page tells it the rest of the listing is of no use
//! (a listing sorted newest first has reached entries older than the window).
//!
//! The APIs page in three shapes:
//!
//! - **Offset** ([`Pager::offset`]; Jira `startAt`/`maxResults`/`isLast`, Jira audit
//!   `offset`/`limit`, Confluence v1 audit and JSM `start`/`limit`, JSM `isLastPage`): the position
//!   advances by the entries received, never by what the page claims (`total` has disagreed with
//!   the records returned). The walk ends on an empty page, or on a page that says it is the last;
//!   a page that does not say is the last when it is short, or always
//!   ([`Pager::unsaid_means_last`]).
//! - **Link** ([`Pager::links`]; Bitbucket's absolute `next`, Confluence v2's `_links.next`, which
//!   is relative to the site): the next request is the link, resolved by [`follow`] only when the
//!   walk goes on to it, never built by hand. The walk ends when a page has no link, and on an
//!   empty page only when told ([`Pager::ending_on_an_empty_page`]): Bitbucket's commits go on past
//!   one.
//! - **Cursor** ([`Pager::cursor`]; the organization API's `meta.next`, or the cursor of
//!   `links.next`): the opaque cursor is sent as one query parameter on the first request's URL.
//!   The stream is meant to be re-polled, so its last page can be empty: an empty page ends the
//!   walk and is not handed on. A cursor equal to the one just sent ends the walk too, or fails it
//!   as a broken response ([`Pager::refusing_a_repeated_cursor`]) — never loops on it.
//!
//! Jira's issue search does not walk through here: each of its pages is a fresh keyset query
//! computed from the issues of the page before, and that computation reads the same state the
//! page's handling updates (`jira/search.rs`), so it is neither a position, a link nor a cursor
//! the page carries.

use super::{display_url, follow, HttpClient};
use crate::ConnectorError;
use reqwest::Url;
use serde::de::DeserializeOwned;
use std::future::Future;

/// What the caller makes of a page it was handed: whether the rest of the listing is still of use.
///
/// The state the walk carries from page to page — the sink being fed, the entries collected — is
/// handed to the caller with each page and handed back in [`Flow::More`]: the future handling a
/// page owns it while it runs and borrows nothing from the handler, so that the handler is a plain
/// closure returning a future and a connector's `fetch` future is still proven `Send`. (An async
/// closure would borrow its captures mutably instead, but today's compiler cannot prove the future
/// of a generic async closure `Send` inside `async_trait`'s boxed futures.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow<S> {
    /// Go on to the next page, if the listing has one, with the state given back.
    More(S),
    /// End the walk here, whatever the page says about a next one: the listing has reached what
    /// the caller does not need (entries older than the window).
    Stop,
}

impl<S> Flow<S> {
    /// [`Flow::Stop`] when `stop`, else [`Flow::More`] with `state`.
    pub(crate) fn stop_if(stop: bool, state: S) -> Self {
        if stop {
            Self::Stop
        } else {
            Self::More(state)
        }
    }
}

/// A page as an endpoint serves it: how many entries it holds, and what it says about the pages
/// after it. Each connector's envelope type implements it; what a shape does not read, the
/// defaults leave unsaid.
pub(crate) trait Listing: DeserializeOwned {
    /// How many entries the page holds.
    fn len(&self) -> usize;

    /// Whether the page says it is the last (`isLast`, `isLastPage`); read by offset listings.
    fn is_last(&self) -> Option<bool> {
        None
    }

    /// The next page's link or cursor, if the page gives one; read by link and cursor listings.
    /// An empty string is no link.
    fn next(&self) -> Option<String> {
        None
    }
}

/// How one endpoint pages, and so when a walk through it ends: see the module documentation for
/// the three shapes and their rules.
#[derive(Debug, Clone)]
pub(crate) struct Pager {
    shape: Shape,
}

#[derive(Debug, Clone)]
enum Shape {
    Offset {
        /// The query parameter of the position (`startAt`, `offset`, `start`).
        position: &'static str,
        /// The query parameter of the page size (`maxResults`, `limit`).
        size_param: &'static str,
        /// The page size asked for.
        size: usize,
        /// Whether a page that does not say it is the last is the last anyway (else: when short).
        unsaid_means_last: bool,
    },
    Links {
        /// What relative links are resolved against.
        base: Url,
        /// Whether an empty page ends the walk, even with a link.
        until_empty: bool,
    },
    Cursor {
        /// The query parameter the cursor is sent in.
        param: &'static str,
        /// Whether a cursor equal to the one just sent fails the walk (else: ends it).
        refuse_repeat: bool,
    },
}

impl Pager {
    /// An offset listing: each request carries `position` (the entries received so far) and
    /// `size_param` (`size`). It ends on an empty page, on a page that says it is the last, and
    /// on a short page that does not say.
    pub(crate) fn offset(position: &'static str, size_param: &'static str, size: usize) -> Self {
        Self {
            shape: Shape::Offset {
                position,
                size_param,
                size,
                unsaid_means_last: false,
            },
        }
    }

    /// A link listing: the next request is the page's next link, resolved against `base` by
    /// [`follow`]. It ends on a page without a link.
    pub(crate) fn links(base: &Url) -> Self {
        Self {
            shape: Shape::Links {
                base: base.clone(),
                until_empty: false,
            },
        }
    }

    /// A cursor listing: the next request is the first one with the page's cursor as `param`. It
    /// ends on an empty page (not handed on), on a page without a cursor, and on a cursor equal to
    /// the one just sent.
    pub(crate) fn cursor(param: &'static str) -> Self {
        Self {
            shape: Shape::Cursor {
                param,
                refuse_repeat: false,
            },
        }
    }

    /// An offset listing whose page that does not say it is the last is the last, full or not.
    ///
    /// # Panics
    /// On any other shape: a programming error.
    pub(crate) fn unsaid_means_last(mut self) -> Self {
        match &mut self.shape {
            Shape::Offset {
                unsaid_means_last, ..
            } => *unsaid_means_last = true,
            other => panic!("only an offset listing reads isLast, not {other:?}"),
        }
        self
    }

    /// A link listing that also ends on an empty page (after handing it on), link or not.
    ///
    /// # Panics
    /// On any other shape: a programming error.
    pub(crate) fn ending_on_an_empty_page(mut self) -> Self {
        match &mut self.shape {
            Shape::Links { until_empty, .. } => *until_empty = true,
            other => panic!("only a link listing can go on past an empty page, not {other:?}"),
        }
        self
    }

    /// A cursor listing for which a cursor equal to the one just sent is a broken response: the
    /// walk fails with [`ConnectorError::Decode`] (after handing the page on) instead of ending.
    ///
    /// # Panics
    /// On any other shape: a programming error.
    pub(crate) fn refusing_a_repeated_cursor(mut self) -> Self {
        match &mut self.shape {
            Shape::Cursor { refuse_repeat, .. } => *refuse_repeat = true,
            other => panic!("only a cursor listing has cursors to repeat, not {other:?}"),
        }
        self
    }

    /// Walks the listing that `first` asks for, page by page, each decoded as `P` and handed with
    /// `state` to `on_page`, until the listing ends or `on_page` answers [`Flow::Stop`]. `first`
    /// holds the listing's own query (filters, bounds, sort); the pager appends its position or
    /// cursor to it. `on_page` gives `state` back in [`Flow::More`] for the next page.
    ///
    /// # Errors
    /// The first failure of a request, of `on_page`, of a next link ([`follow`]), or a repeated
    /// cursor the pager refuses; the pages handed on before it stay handed on.
    pub(crate) async fn walk<P, S, Handled>(
        &self,
        http: &HttpClient,
        first: Url,
        state: S,
        on_page: impl FnMut(S, P) -> Handled,
    ) -> Result<(), ConnectorError>
    where
        P: Listing,
        Handled: Future<Output = Result<Flow<S>, ConnectorError>>,
    {
        let fetch = |url: Url| async move { Ok(http.get_json::<P>(url).await?.body) };
        self.walk_with(first, fetch, state, on_page).await
    }

    /// [`Pager::walk`] with the pages fetched by `fetch`.
    async fn walk_with<P, S, Fetched, Handled>(
        &self,
        first: Url,
        mut fetch: impl FnMut(Url) -> Fetched,
        mut state: S,
        mut on_page: impl FnMut(S, P) -> Handled,
    ) -> Result<(), ConnectorError>
    where
        P: Listing,
        Fetched: Future<Output = Result<P, ConnectorError>>,
        Handled: Future<Output = Result<Flow<S>, ConnectorError>>,
    {
        let mut walk = Walk::new(self, first);
        loop {
            let page = fetch(walk.request.clone()).await?;
            let n = page.len();
            let is_last = page.is_last();
            let next = page.next().filter(|n| !n.is_empty());
            if !walk.hands_on(n) {
                return Ok(());
            }
            state = match on_page(state, page).await? {
                Flow::More(state) => state,
                Flow::Stop => return Ok(()),
            };
            if !walk.advance(n, is_last, next)? {
                return Ok(());
            }
        }
    }
}

/// A walk's state between pages.
#[derive(Debug)]
struct Walk<'p> {
    pager: &'p Pager,
    /// The first request: the base of every offset and cursor request.
    first: Url,
    /// The request to send next.
    request: Url,
    /// Entries received so far: the next offset page's position.
    received: usize,
    /// The cursor the last request sent.
    cursor: Option<String>,
}

impl<'p> Walk<'p> {
    fn new(pager: &'p Pager, first: Url) -> Self {
        let request = match &pager.shape {
            Shape::Offset {
                position,
                size_param,
                size,
                ..
            } => with_query(
                &first,
                &[(position, "0".into()), (size_param, size.to_string())],
            ),
            Shape::Links { .. } | Shape::Cursor { .. } => first.clone(),
        };
        Self {
            pager,
            first,
            request,
            received: 0,
            cursor: None,
        }
    }

    /// Whether a page of `n` entries is handed to the caller: every page but a cursor listing's
    /// empty one.
    fn hands_on(&self, n: usize) -> bool {
        n > 0 || !matches!(self.pager.shape, Shape::Cursor { .. })
    }

    /// Takes in a page of `n` entries the caller wants more after, and what it said (`is_last`, a
    /// non-empty `next`); `true` when the walk goes on, to the request now in `self.request`.
    fn advance(
        &mut self,
        n: usize,
        is_last: Option<bool>,
        next: Option<String>,
    ) -> Result<bool, ConnectorError> {
        match &self.pager.shape {
            Shape::Offset {
                position,
                size_param,
                size,
                unsaid_means_last,
            } => {
                self.received += n;
                if n == 0 || is_last.unwrap_or(*unsaid_means_last || n < *size) {
                    return Ok(false);
                }
                self.request = with_query(
                    &self.first,
                    &[
                        (position, self.received.to_string()),
                        (size_param, size.to_string()),
                    ],
                );
            }
            Shape::Links { base, until_empty } => {
                let Some(link) = next else {
                    return Ok(false);
                };
                if n == 0 && *until_empty {
                    return Ok(false);
                }
                self.request = follow(base, &link)?;
            }
            Shape::Cursor {
                param,
                refuse_repeat,
            } => {
                let Some(cursor) = next.filter(|_| n > 0) else {
                    return Ok(false);
                };
                if self.cursor.as_ref() == Some(&cursor) {
                    if *refuse_repeat {
                        return Err(ConnectorError::Decode {
                            url: display_url(&self.first),
                            detail: "the next cursor equals the current one; refusing to loop"
                                .into(),
                        });
                    }
                    return Ok(false);
                }
                self.request = with_query(&self.first, &[(param, cursor.clone())]);
                self.cursor = Some(cursor);
            }
        }
        Ok(true)
    }
}

/// `url` with `pairs` appended to its query, after whatever it holds; untouched when there are
/// none (so no bare `?`).
fn with_query(url: &Url, pairs: &[(&str, String)]) -> Url {
    let mut url = url.clone();
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url
}

#[cfg(test)]
mod tests;
