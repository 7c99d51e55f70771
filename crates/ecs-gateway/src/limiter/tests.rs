use super::*;

fn limits(account_rate: f64, queue_capacity: usize) -> LimitsConfig {
    LimitsConfig {
        account_rate,
        account_burst: 1,
        default_action_rate: 1000.0,
        action_rates: HashMap::new(),
        queue_capacity,
        caller_queue_capacity: queue_capacity,
        adaptive: adaptive::AdaptiveConfig::default(),
    }
}

fn ticket(caller: &str, action: &'static str) -> Ticket {
    Ticket {
        caller: caller.into(),
        weight: 1,
        action,
        deadline: None,
    }
}

fn start(config: LimitsConfig) -> Arc<Scheduler> {
    Arc::new(Scheduler::start(config, Metrics::default()).unwrap())
}

#[tokio::test]
async fn the_account_rate_spaces_requests() {
    let scheduler = start(limits(20.0, 100));
    let started = Instant::now();

    for _ in 0..6 {
        scheduler
            .acquire(&ticket("a", "DescribeDisks"))
            .await
            .unwrap();
    }

    // One request from the burst, then five periods of 50 ms.
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(230), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1000), "{elapsed:?}");
}

#[tokio::test]
async fn a_per_action_rate_applies_only_to_that_action() {
    let mut config = limits(1000.0, 100);
    config.action_rates.insert("CreateSnapshot".into(), 5.0);
    let scheduler = start(config);
    let started = Instant::now();

    scheduler
        .acquire(&ticket("a", "CreateSnapshot"))
        .await
        .unwrap();
    for _ in 0..5 {
        scheduler
            .acquire(&ticket("a", "DescribeDisks"))
            .await
            .unwrap();
    }
    let fast = started.elapsed();
    scheduler
        .acquire(&ticket("a", "CreateSnapshot"))
        .await
        .unwrap();

    assert!(fast < Duration::from_millis(100), "{fast:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(180),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_full_queue_refuses_at_once() {
    let scheduler = start(limits(2.0, 2));
    scheduler
        .acquire(&ticket("a", "DescribeDisks"))
        .await
        .unwrap();
    // The first goes to the dispatcher, which waits for the account limiter; two stay queued.
    let waiting = spawn_waiters(&scheduler, 3).await;

    let refused = scheduler
        .acquire(&ticket("b", "DescribeDisks"))
        .await
        .unwrap_err();

    assert!(
        matches!(refused, Rejection::QueueFull { capacity: 2, .. }),
        "{refused}"
    );
    for task in waiting {
        task.abort();
    }
}

/// Starts `count` waiting requests of caller `a`, one at a time so the dispatcher picks the
/// first before the others arrive.
async fn spawn_waiters(
    scheduler: &Arc<Scheduler>,
    count: usize,
) -> Vec<tokio::task::JoinHandle<Result<Duration, Rejection>>> {
    let mut tasks = Vec::new();
    for _ in 0..count {
        let scheduler = Arc::clone(scheduler);
        let task = async move { scheduler.acquire(&ticket("a", "DescribeDisks")).await };
        tasks.push(tokio::spawn(task));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tasks
}

#[tokio::test]
async fn a_deadline_shorter_than_the_expected_wait_is_refused_at_once() {
    let scheduler = start(limits(2.0, 100));
    scheduler
        .acquire(&ticket("a", "DescribeDisks"))
        .await
        .unwrap();
    let waiting = spawn_waiters(&scheduler, 4).await;
    let mut hurried = ticket("a", "DescribeDisks");
    hurried.deadline = Some(Instant::now() + Duration::from_millis(300));
    let asked = Instant::now();

    let refused = scheduler.acquire(&hurried).await.unwrap_err();

    assert!(asked.elapsed() < Duration::from_millis(50));
    assert!(
        matches!(refused, Rejection::DeadlineTooShort { .. }),
        "{refused}"
    );
    for task in waiting {
        task.abort();
    }
}

#[tokio::test]
async fn a_quiet_caller_is_served_ahead_of_a_flood() {
    let scheduler = start(limits(40.0, 1000));
    let flood: Vec<_> = (0..30)
        .map(|_| {
            let scheduler = Arc::clone(&scheduler);
            tokio::spawn(
                async move { scheduler.acquire(&ticket("flooder", "DescribeDisks")).await },
            )
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(30)).await;

    let waited = scheduler
        .acquire(&ticket("quiet", "DescribeDisks"))
        .await
        .unwrap();

    // Behind the flood it would wait about 30 / 40 s; fairly it waits about two periods (the
    // bound leaves room for a loaded CI machine).
    assert!(waited < Duration::from_millis(400), "{waited:?}");
    for task in flood {
        task.abort();
    }
}

#[tokio::test]
async fn throttling_slows_the_dispatch_down() {
    let scheduler = start(limits(100.0, 100));
    scheduler
        .acquire(&ticket("a", "DescribeDisks"))
        .await
        .unwrap();

    for _ in 0..4 {
        scheduler.on_throttled("DescribeDisks");
        tokio::time::sleep(Duration::from_millis(510)).await;
    }
    let fraction = scheduler.rate_fraction();
    let started = Instant::now();
    for _ in 0..3 {
        scheduler
            .acquire(&ticket("a", "DescribeDisks"))
            .await
            .unwrap();
    }

    assert!(fraction < 0.2, "{fraction}");
    // At 100/s three requests take 20 ms; slowed to under 20/s they take 100 ms or more.
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_flooding_caller_cannot_fill_the_queue_for_others() {
    let mut config = limits(2.0, 4);
    config.caller_queue_capacity = 2;
    let scheduler = start(config);
    scheduler
        .acquire(&ticket("a", "DescribeDisks"))
        .await
        .unwrap();
    // The first goes to the dispatcher; two wait; the caller's share is then used up.
    let waiting = spawn_waiters(&scheduler, 3).await;

    let flooder = scheduler
        .acquire(&ticket("a", "DescribeDisks"))
        .await
        .unwrap_err();
    let quiet = {
        let scheduler = Arc::clone(&scheduler);
        tokio::spawn(async move { scheduler.acquire(&ticket("b", "DescribeDisks")).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;

    assert!(
        matches!(flooder, Rejection::CallerQueueFull { capacity: 2, .. }),
        "{flooder}"
    );
    assert!(
        !quiet.is_finished(),
        "the quiet caller waits instead of being refused"
    );
    quiet.abort();
    for task in waiting {
        task.abort();
    }
}
