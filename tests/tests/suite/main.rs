//! The black-box suite: the whole app over HTTP, as clients use it. One binary, so that it is
//! linked once; each test owns a fresh database (SQLite file, or a fresh PostgreSQL database when
//! `DORFAPP_TEST_DATABASE_URL` is set).

mod support;

mod abuse;
mod account_hardening;
mod accounts;
mod anliegen;
mod aushang;
mod browser;
mod calendar;
mod console_auth;
mod console_desk;
mod console_news;
mod console_photos;
mod console_rbac;
mod console_shop;
mod districts;
mod edge;
mod erasure;
mod event_adopt;
mod event_helpers;
mod event_notify;
mod event_rides;
mod events;
mod jobs;
mod locations;
mod me;
mod media;
mod news;
mod news_feed;
mod open311;
mod openapi;
mod opening_hours;
mod operations;
mod organisations;
mod patches;
mod polls;
mod push;
mod push_service;
mod quotas;
mod ride_desk;
mod ride_privacy;
mod rides;
mod shop_notices;
mod shops;
mod shutdown;
mod sms;
mod sms_consent;
mod sms_outbox;
mod sms_rides;
mod users;
mod versions;
