using System.Text.Json.Nodes;
using Bazaar.Server.Channels.Telegram;
using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Bazaar.Tests.Channels.Telegram;

/// <summary>
/// Polling mode with several instances on one database: only the holder of the bot's advisory lock calls getUpdates.
/// Each instance talks to a fake Bot API of its own, so the fakes' call logs say who polled; an update is queued on
/// every fake, as Telegram offers its one queue to whoever polls.
/// </summary>
public sealed class PollingLeaderTests
{
    private const int RetrySeconds = 2;

    private static async Task<BotAppFactory> StartPollingAsync(TestDatabase db)
    {
        var app = (BotAppFactory)new BotAppFactory().OnDatabase(db)
            .With("Telegram:Mode", "Polling")
            .With("Telegram:PollingTimeoutSeconds", "1")
            .With("Telegram:LeaderRetrySeconds", RetrySeconds.ToString())
            .With("Conversations:Processor:Enabled", "true");
        await app.InitializeAsync();
        return app;
    }

    private static Task Stop(BotAppFactory app) => ((IAsyncLifetime)app).DisposeAsync();

    private static bool Polled(BotAppFactory app) => app.Bot.CallsOf("getUpdates").Any();

    /// <summary>Waits (real time) for <paramref name="done"/>, moving the fake clocks a second per step; returns the steps taken.</summary>
    private static async Task<int> Eventually(Func<Task<bool>> done, string what, params FakeTimeProvider[] clocks)
    {
        for (var step = 0; step < 150; step++)
        {
            if (await done()) return step;
            foreach (var c in clocks) c.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(100);
        }
        throw new TimeoutException("Timed out waiting until " + what);
    }

    private static Task<List<string>> EchoesAsync(BotAppFactory app, long user) => app.TextsFor(user);

    private static async Task<List<int>> LockHoldersAsync(TestDatabase db)
    {
        await using var c = new NpgsqlConnection(db.ConnectionString);
        await c.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", c);
        var pids = new List<int>();
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync()) pids.Add(r.GetInt32(0));
        return pids;
    }

    [PostgresFact]
    public async Task Only_the_lock_holder_polls_and_another_instance_takes_over_when_it_stops()
    {
        await using var db = await TestDatabase.CreatePostgresAsync(TestDatabase.PostgresServer!);
        var a = await StartPollingAsync(db);
        var b = await StartPollingAsync(db);
        var stopped = new List<BotAppFactory>();
        try
        {
            await Eventually(() => Task.FromResult(Polled(a) || Polled(b)), "one instance polls", a.Clock, b.Clock);
            var (leader, standby) = Polled(a) ? (a, b) : (b, a);
            // Several of the stand-by's retries pass: it keeps asking for the lock and never polls.
            for (var i = 0; i < 4 * RetrySeconds; i++)
            {
                standby.Clock.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(150);
            }
            Assert.False(Polled(standby));
            Assert.Single(await LockHoldersAsync(db));

            var user = Updates.NewUserId();
            JsonObject[] early = [Updates.Text(user, "/echo one"), Updates.Text(user, "/echo two")];
            foreach (var u in early) { leader.Bot.QueueUpdate(u); standby.Bot.QueueUpdate((JsonObject)u.DeepClone()); }
            await Eventually(async () => (await EchoesAsync(leader, user)).Count == 2, "the leader handled both updates");

            // The leader stops: its lock's connection closes, and the stand-by takes over at its next retry (two at most,
            // should one try land before PostgreSQL has ended the old session).
            await Stop(leader);
            stopped.Add(leader);
            var taken = false;
            for (var retry = 0; retry < 2 && !taken; retry++)
            {
                standby.Clock.Advance(TimeSpan.FromSeconds(RetrySeconds));
                for (var wait = 0; wait < 50 && !(taken = Polled(standby)); wait++) await Task.Delay(100);
            }
            Assert.True(taken, $"the stand-by did not poll within two retries ({2 * RetrySeconds} s)");

            // Telegram offers the unconfirmed updates again, with a new one: the old ones are duplicates, handled once.
            standby.Bot.QueueUpdate(Updates.Text(user, "/echo three"));
            await Eventually(async () => (await EchoesAsync(standby, user)).Count >= 3, "the new leader handled the new update");
            await Task.Delay(500);
            Assert.Equal(["echo:one", "echo:two", "echo:three"], await EchoesAsync(standby, user));
            Assert.Equal(3, await standby.WithDb(d => d.InboundUpdates.CountAsync(u => u.UserId == user.ToString() && u.Status == UpdateStatus.Processed)));
        }
        finally
        {
            foreach (var app in new[] { a, b }.Except(stopped)) await Stop(app);
        }
    }

    [PostgresFact]
    public async Task A_leader_whose_database_session_dies_stops_polling_and_one_instance_leads_again()
    {
        await using var db = await TestDatabase.CreatePostgresAsync(TestDatabase.PostgresServer!);
        var a = await StartPollingAsync(db);
        var b = await StartPollingAsync(db);
        try
        {
            await Eventually(() => Task.FromResult(Polled(a) || Polled(b)), "one instance polls", a.Clock, b.Clock);
            var before = Assert.Single(await LockHoldersAsync(db));

            // As if the leader's machine dropped off the network: its session ends and PostgreSQL releases the lock.
            await using (var c = new NpgsqlConnection(db.ConnectionString))
            {
                await c.OpenAsync();
                await using var kill = new NpgsqlCommand($"SELECT pg_terminate_backend({before})", c);
                await kill.ExecuteScalarAsync();
            }
            await Eventually(async () => await LockHoldersAsync(db) is [var pid] && pid != before, "someone holds the lock again", a.Clock, b.Clock);
            a.Bot.Clear();
            b.Bot.Clear();
            // The new holder polls (its loop may first sit out a retry wait on its clock; under load that took longer
            // than a fixed real-time pause), and over a full long poll after that only one instance polls.
            await Eventually(() => Task.FromResult(Polled(a) || Polled(b)), "the new holder polls", a.Clock, b.Clock);
            await Task.Delay(1500);
            Assert.Single(new[] { a, b }, Polled);

            var user = Updates.NewUserId();
            var update = Updates.Text(user, "/echo after");
            a.Bot.QueueUpdate(update);
            b.Bot.QueueUpdate((JsonObject)update.DeepClone());
            await Eventually(async () => (await EchoesAsync(a, user)).Count == 1, "the update is handled");
            await Task.Delay(500);
            Assert.Equal(["echo:after"], await EchoesAsync(a, user));
        }
        finally
        {
            await Stop(a);
            await Stop(b);
        }
    }

    [Fact]
    public async Task A_single_instance_polls_in_a_loop_on_either_database()
    {
        await using var db = await TestDatabase.CreateAsync();
        var app = await StartPollingAsync(db);
        try
        {
            var user = Updates.NewUserId();
            app.Bot.QueueUpdate(Updates.Text(user, "/echo polled"));
            await Eventually(async () => (await EchoesAsync(app, user)).Count == 1, "the update is handled", app.Clock);
            Assert.Equal(["echo:polled"], await EchoesAsync(app, user));
            // On PostgreSQL it polls as the holder of the bot's lock; on SQLite there is no lock.
            if (db.Provider == "Postgres") Assert.Single(await LockHoldersAsync(db));
        }
        finally { await Stop(app); }
    }
}
