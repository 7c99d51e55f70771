//! Weighted fair queueing between callers (start-time fair queueing).
//!
//! Each waiting request gets a virtual start tag: `max(virtual now, caller's last finish)`, and
//! the caller's finish advances by `1 / weight`. The dispatcher serves the smallest tag first.
//! A caller that floods the queue only pushes its own tags further out, so another caller's
//! next request is served after at most about one request of each other active caller, and
//! under saturation callers get shares of the rate proportional to their weights.
//!
//! This type is pure bookkeeping (no clock, no async); [`super::Scheduler`] drives it.

use std::collections::{HashMap, VecDeque};

/// One waiting request as the queue sees it.
#[derive(Debug)]
pub struct Entry<T> {
    /// Virtual start tag.
    pub tag: f64,
    /// ECS action the request will call.
    pub action: &'static str,
    /// Whatever the scheduler needs to wake the request.
    pub payload: T,
}

#[derive(Debug)]
struct CallerQueue<T> {
    entries: VecDeque<Entry<T>>,
    last_finish: f64,
}

/// The queue of all callers.
#[derive(Debug)]
pub struct FairQueue<T> {
    callers: HashMap<String, CallerQueue<T>>,
    virtual_now: f64,
    len: usize,
}

impl<T> Default for FairQueue<T> {
    fn default() -> Self {
        Self {
            callers: HashMap::new(),
            virtual_now: 0.0,
            len: 0,
        }
    }
}

impl<T> FairQueue<T> {
    /// Number of waiting requests.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Number of waiting requests of `caller`.
    pub fn caller_len(&self, caller: &str) -> usize {
        self.callers
            .get(caller)
            .map_or(0, |queue| queue.entries.len())
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tag a request of `caller` would get if pushed now (the start tag does not depend
    /// on the weight; the weight sets how far the caller's next tag moves).
    pub fn next_tag(&self, caller: &str) -> f64 {
        let last_finish = self
            .callers
            .get(caller)
            .map_or(0.0, |queue| queue.last_finish);
        last_finish.max(self.virtual_now)
    }

    /// How many waiting requests would be served before one with `tag` (ties go first), and
    /// how many of those call `action`.
    pub fn ahead_of(&self, tag: f64, action: &str) -> (usize, usize) {
        let ahead = self.entries().filter(|entry| entry.tag <= tag);
        ahead.fold((0, 0), |(all, same), entry| {
            (all + 1, same + usize::from(entry.action == action))
        })
    }

    /// Queues a request; returns its tag.
    pub fn push(&mut self, caller: &str, weight: u32, action: &'static str, payload: T) -> f64 {
        let tag = self.next_tag(caller);
        let queue = self
            .callers
            .entry(caller.to_string())
            .or_insert_with(|| CallerQueue {
                entries: VecDeque::new(),
                last_finish: 0.0,
            });

        queue.last_finish = tag + 1.0 / f64::from(weight.max(1));
        queue.entries.push_back(Entry {
            tag,
            action,
            payload,
        });
        self.len += 1;
        tag
    }

    /// Removes and returns the request with the smallest tag whose action `ready` admits,
    /// trying callers' heads in tag order. `ready` is called at most once per caller head and
    /// may consume a token (it is only called for the head that will be taken, or until one is
    /// taken).
    pub fn pop_ready(&mut self, mut ready: impl FnMut(&'static str) -> bool) -> Option<Entry<T>> {
        let mut heads: Vec<(f64, &str)> = self
            .callers
            .iter()
            .filter_map(|(caller, queue)| queue.entries.front().map(|e| (e.tag, caller.as_str())))
            .collect();
        heads.sort_by(|a, b| a.0.total_cmp(&b.0));

        let chosen = heads
            .into_iter()
            .find(|(_, caller)| {
                self.callers[*caller]
                    .entries
                    .front()
                    .is_some_and(|e| ready(e.action))
            })
            .map(|(_, caller)| caller.to_string())?;
        self.take_head(&chosen)
    }

    /// Drops every waiting request for which `keep` is false (e.g. callers that gave up).
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        for queue in self.callers.values_mut() {
            queue.entries.retain(|entry| keep(&entry.payload));
        }
        self.len = self.callers.values().map(|queue| queue.entries.len()).sum();
        self.forget_idle_callers();
    }

    fn take_head(&mut self, caller: &str) -> Option<Entry<T>> {
        let entry = self.callers.get_mut(caller)?.entries.pop_front()?;
        self.len -= 1;
        self.virtual_now = self.virtual_now.max(entry.tag);
        self.forget_idle_callers();
        Some(entry)
    }

    /// A caller with nothing waiting and no credit left in the future is forgotten, so the map
    /// stays as small as the set of active callers.
    fn forget_idle_callers(&mut self) {
        let now = self.virtual_now;
        self.callers
            .retain(|_, queue| !queue.entries.is_empty() || queue.last_finish > now);
    }

    fn entries(&self) -> impl Iterator<Item = &Entry<T>> {
        self.callers.values().flat_map(|queue| queue.entries.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(queue: &mut FairQueue<&'static str>, count: usize) -> Vec<&'static str> {
        (0..count)
            .filter_map(|_| queue.pop_ready(|_| true))
            .map(|e| e.payload)
            .collect()
    }

    #[test]
    fn a_flooding_caller_does_not_starve_another() {
        let mut queue = FairQueue::default();
        for _ in 0..100 {
            queue.push("flooder", 1, "DescribeSnapshots", "flood");
        }
        queue.push("quiet", 1, "DescribeDisks", "quiet");

        let served = drain(&mut queue, 3);

        assert!(served.contains(&"quiet"), "{served:?}");
    }

    #[test]
    fn weights_set_the_shares_under_saturation() {
        let mut queue = FairQueue::default();
        for _ in 0..60 {
            queue.push("heavy", 3, "DescribeDisks", "heavy");
            queue.push("light", 1, "DescribeDisks", "light");
        }

        let served = drain(&mut queue, 40);

        let heavy = served.iter().filter(|p| **p == "heavy").count();
        assert!((29..=31).contains(&heavy), "heavy got {heavy} of 40");
    }

    #[test]
    fn a_caller_blocked_on_its_action_lets_others_pass() {
        let mut queue = FairQueue::default();
        queue.push("a", 1, "CreateSnapshot", "a");
        queue.push("b", 1, "DescribeDisks", "b");

        let entry = queue
            .pop_ready(|action| action != "CreateSnapshot")
            .unwrap();

        assert_eq!(entry.payload, "b");
        assert_eq!(queue.len(), 1);
    }

    #[test]
    fn ahead_of_counts_earlier_tags_and_same_action() {
        let mut queue = FairQueue::default();
        queue.push("a", 1, "DescribeDisks", ());
        queue.push("a", 1, "CreateSnapshot", ());
        queue.push("b", 1, "DescribeDisks", ());

        let tag = queue.next_tag("c");

        assert_eq!(queue.ahead_of(tag, "DescribeDisks"), (2, 2));
    }

    #[test]
    fn retain_drops_abandoned_requests_and_idle_callers() {
        let mut queue = FairQueue::default();
        queue.push("a", 1, "DescribeDisks", false);
        queue.push("b", 1, "DescribeDisks", true);

        queue.retain(|alive| *alive);

        assert_eq!(queue.len(), 1);
        assert_eq!(queue.pop_ready(|_| true).map(|e| e.payload), Some(true));
        assert!(queue.is_empty());
    }
}
