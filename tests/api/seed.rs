//! Seeding twice changes nothing.

use crate::helpers::spawn_app;

#[actix_web::test]
async fn seeding_again_changes_nothing() {
    let app = spawn_app().await;
    let before = app.counts();
    let pool = app.state.pool.clone();
    let (reference, demo) = tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("connection");
        let reference = sociale_kaart::db::seed::seed_reference(&mut conn).expect("seed");
        let demo = sociale_kaart::db::demo::seed_demo(&mut conn).expect("demo");
        (reference, demo)
    })
    .await
    .expect("join");
    assert_eq!(reference.total(), 0);
    assert!(demo.already_present);
    assert_eq!(app.counts(), before);
    assert_eq!(app.count("municipalities"), 342);
    assert_eq!(app.count("areas"), 3474);
    assert_eq!(app.count("regions"), 42);
}
