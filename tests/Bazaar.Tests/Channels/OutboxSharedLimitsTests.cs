using Bazaar.Server.Channels;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels;

/// <summary>
/// Two server instances share the outbox's cluster-wide limits: on one PostgreSQL database (outbox_rate_buckets and the
/// outbox's own sent rows), or through one Redis (Redis:Connection, on the run's database, SQLite or PostgreSQL). Together
/// they keep to the global rate, to each chat's pacing and to a 429 pause that one of them was told about. Both clocks are
/// fake and move together; the two instances' rounds run at the same time.
/// </summary>
public sealed class OutboxSharedLimitsTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    /// <summary>With <paramref name="redis"/>, the limits live there (under a key prefix of this test's own); else in PostgreSQL.</summary>
    /// <summary>The fake Bot API, the shared database and the two instances; disposed together, instances first.</summary>
    private sealed record TwoInstances(FakeBotApi Api, TestDatabase Database, OutboxAppHost One, OutboxAppHost Two) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Two.DisposeAsync();
            await One.DisposeAsync();
            await Database.DisposeAsync();
            await Api.DisposeAsync();
        }
    }

    private static async Task<TwoInstances> TwoInstancesAsync(RedisServer? redis,
        params (string, string)[] settings)
    {
        var api = await FakeBotApi.StartAsync();
        var database = redis is null ? await TestDatabase.CreatePostgresAsync(TestDatabase.PostgresServer!) : await TestDatabase.CreateAsync();
        if (redis is not null) settings = [.. settings, ("Redis:Connection", redis.Connection), ("Redis:Prefix", "t" + Guid.NewGuid().ToString("N"))];
        var one = await OutboxAppHost.StartAsync(api, database, settings);
        var two = await OutboxAppHost.StartAsync(api, database, settings);
        api.Now = () => one.Now;
        return new TwoInstances(api, database, one, two);
    }

    /// <summary>With Redis the database kept no bucket: the state was Redis's.</summary>
    private static async Task AssertStateWasIn(RedisServer? redis, OutboxAppHost one)
    {
        var rows = await one.App.WithDb(db => db.Set<OutboxRateBucket>().CountAsync());
        if (redis is not null) Assert.Equal(0, rows);
        else Assert.True(rows > 0);
    }

    private static async Task RoundOnBoth(OutboxAppHost one, OutboxAppHost two) =>
        await Task.WhenAll(Task.Run(one.RunOnce), Task.Run(two.RunOnce));

    private static void AdvanceBoth(OutboxAppHost one, OutboxAppHost two, TimeSpan by)
    {
        one.Advance(by);
        two.Advance(by);
    }

    /// <summary>
    /// The largest excess, over any stretch of the sends, of the count over what a token bucket of this rate and burst
    /// lets through: zero or less when the limit held.
    /// </summary>
    public static double WorstExcess(IReadOnlyList<DateTime> sends, double perSecond, int burst)
    {
        var t = sends.OrderBy(x => x).ToList();
        var worst = double.MinValue;
        for (var i = 0; i < t.Count; i++)
            for (var j = i; j < t.Count; j++)
                worst = Math.Max(worst, (j - i + 1) - (burst + perSecond * (t[j] - t[i]).TotalSeconds));
        return worst;
    }

    [PostgresFact]
    public Task Two_instances_together_keep_to_the_global_rate() => GlobalRate(null);

    [RedisFact]
    public async Task Two_instances_sharing_Redis_keep_to_the_global_rate()
    {
        await using var redis = await RedisServer.StartAsync();
        await GlobalRate(redis);
    }

    private static async Task GlobalRate(RedisServer? redis)
    {
        await using var instances = await TwoInstancesAsync(redis, ("Outbox:GlobalPerSecond", "20"), ("Outbox:BatchSize", "100"));
        var (api, _, one, two) = instances;
        // 200 chats, one message each: only the global limit holds them back. Half are queued through each instance.
        await one.Enqueue(o => Enumerable.Range(0, 100).Select(i => o.SendText(OutboxAppHost.Chat((20_000 + i).ToString()), $"m{i}")).ToList());
        await two.Enqueue(o => Enumerable.Range(100, 100).Select(i => o.SendText(OutboxAppHost.Chat((20_000 + i).ToString()), $"m{i}")).ToList());

        for (var step = 0; step < 400 && api.CallsOf("sendMessage").Count() < 200; step++)
        {
            await RoundOnBoth(one, two);
            AdvanceBoth(one, two, Step);
        }

        var calls = api.CallsOf("sendMessage").ToList();
        Assert.Equal(200, calls.Count);
        Assert.Equal(200, calls.Select(c => c.Str("text")).Distinct().Count());
        // Each instance sent some: the limit was shared, not won by one of them.
        Assert.True(await one.App.WithDb(db => db.Outbox.AllAsync(m => m.Status == OutboxStatus.Sent)));
        var excess = WorstExcess(calls.Select(c => c.At).ToList(), 20, 20);
        Assert.True(excess <= 0, $"the two instances together sent {excess:0.#} more than 20/s (burst 20) allows");
        // And no slower than the limit: 180 after the first burst take 9 s.
        Assert.InRange((calls.Max(c => c.At) - calls.Min(c => c.At)).TotalSeconds, 8.9, 10.5);
        await AssertStateWasIn(redis, one);
    }

    [PostgresFact]
    public Task A_chats_pacing_holds_when_its_queue_moves_between_instances() => ChatPacing(null);

    [RedisFact]
    public async Task A_chats_pacing_in_Redis_holds_when_its_queue_moves_between_instances()
    {
        await using var redis = await RedisServer.StartAsync();
        await ChatPacing(redis);
    }

    private static async Task ChatPacing(RedisServer? redis)
    {
        await using var instances = await TwoInstancesAsync(redis, ("Outbox:PrivateChatBurst", "3"), ("Outbox:PrivateChatIntervalSeconds", "1"));
        var (api, _, one, two) = instances;
        await one.Texts("4242", Enumerable.Range(1, 12).Select(i => $"c{i}").ToArray());

        int byOne = 0, byTwo = 0;
        for (var step = 0; step < 400 && one.SentTexts("4242").Count < 12; step++)
        {
            var rounds = await Task.WhenAll(Task.Run(one.RunOnce), Task.Run(two.RunOnce));
            byOne += rounds[0].Sent;
            byTwo += rounds[1].Sent;
            AdvanceBoth(one, two, Step);
        }

        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"c{i}"), one.SentTexts("4242"));
        var excess = WorstExcess(api.CallsOf("sendMessage").Select(c => c.At).ToList(), 1, 3);
        Assert.True(excess <= 0, $"the chat got {excess:0.#} more than 1/s with a burst of 3 allows");
        // Both instances sent some of the chat's rows: its queue really moved between them.
        Assert.True(byOne > 0 && byTwo > 0, $"one instance sent the whole queue ({byOne} and {byTwo})");
    }

    [PostgresFact]
    public Task A_429_pause_seen_by_one_instance_holds_for_the_other() => Pause(null);

    [RedisFact]
    public async Task A_429_pause_seen_by_one_instance_reaches_the_other_through_Redis()
    {
        await using var redis = await RedisServer.StartAsync();
        await Pause(redis);
    }

    private static async Task Pause(RedisServer? redis)
    {
        await using var instances = await TwoInstancesAsync(redis, ("Outbox:Parallelism", "1"));
        var (api, _, one, two) = instances;
        api.FailNext("answerCallbackQuery", 429, "Too Many Requests: retry after 10", retryAfter: 10);
        await one.Enqueue(o => [o.AnswerCallback(OutboxAppHost.Chat("1001"), "cbq-1")]);
        await one.RunOnce();
        Assert.Single(api.CallsOf("answerCallbackQuery"));

        await two.Texts("1002", "later");
        AdvanceBoth(one, two, TimeSpan.FromSeconds(9));
        await two.RunOnce();
        Assert.Empty(one.SentTexts("1002"));

        AdvanceBoth(one, two, TimeSpan.FromSeconds(1));
        await two.RunOnce();
        Assert.Equal(["later"], one.SentTexts("1002"));
    }

    [RedisFact]
    public async Task With_Redis_down_paced_messages_wait_while_urgent_answers_go_and_sending_resumes_when_it_is_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var instances = await TwoInstancesAsync(redis);
        var (api, _, one, two) = instances;
        await one.Texts("3001", "before");
        await one.RunOnce();
        Assert.Equal(["before"], one.SentTexts("3001"));

        await redis.StopAsync();
        await one.Texts("3002", "held");
        await one.Enqueue(o => [o.AnswerCallback(OutboxAppHost.Chat("3003"), "cbq-down")]);
        for (var i = 0; i < 5; i++)
        {
            await RoundOnBoth(one, two);
            AdvanceBoth(one, two, TimeSpan.FromSeconds(1));
        }
        // Nothing paced went out unpaced; the answer, which takes no token, did (once).
        Assert.Empty(one.SentTexts("3002"));
        Assert.Single(api.CallsOf("answerCallbackQuery"));
        Assert.Equal(OutboxStatus.Pending, (await one.App.WithDb(db => db.Outbox.SingleAsync(m => m.ChatId == "3002"))).Status);

        await redis.StartAgainAsync();
        for (var i = 0; i < 100 && one.SentTexts("3002").Count == 0; i++)
        {
            await RoundOnBoth(one, two);
            AdvanceBoth(one, two, Step);
            await Task.Delay(100);
        }
        Assert.Equal(["held"], one.SentTexts("3002"));
    }
}
