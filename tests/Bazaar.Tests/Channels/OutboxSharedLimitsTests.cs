using Bazaar.Server.Channels;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels;

/// <summary>
/// Two server instances on one PostgreSQL database share the outbox's global limits (outbox_rate_buckets): together they
/// keep to the global rate and to a 429 pause that one of them was told about. Both clocks are fake and move together.
/// </summary>
public sealed class OutboxSharedLimitsTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    private static async Task<(FakeBotApi Api, TestDatabase Db, OutboxAppHost One, OutboxAppHost Two)> TwoInstancesAsync(params (string, string)[] settings)
    {
        var api = await FakeBotApi.StartAsync();
        var database = await TestDatabase.CreatePostgresAsync(TestDatabase.PostgresServer!);
        var one = await OutboxAppHost.StartAsync(api, database, settings);
        var two = await OutboxAppHost.StartAsync(api, database, settings);
        api.Now = () => one.Now;
        return (api, database, one, two);
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
    public async Task Two_instances_together_keep_to_the_global_rate()
    {
        var (api, database, one, two) = await TwoInstancesAsync(("Outbox:GlobalPerSecond", "20"), ("Outbox:BatchSize", "100"));
        await using var _ = api;
        await using var __ = database;
        await using var ___ = one;
        await using var ____ = two;
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
    }

    [PostgresFact]
    public async Task A_chats_pacing_holds_when_its_queue_moves_between_instances()
    {
        var (api, database, one, two) = await TwoInstancesAsync(("Outbox:PrivateChatBurst", "3"), ("Outbox:PrivateChatIntervalSeconds", "1"));
        await using var _ = api;
        await using var __ = database;
        await using var ___ = one;
        await using var ____ = two;
        await one.Texts("4242", Enumerable.Range(1, 12).Select(i => $"c{i}").ToArray());

        for (var step = 0; step < 400 && one.SentTexts("4242").Count < 12; step++)
        {
            await RoundOnBoth(one, two);
            AdvanceBoth(one, two, Step);
        }

        Assert.Equal(Enumerable.Range(1, 12).Select(i => $"c{i}"), one.SentTexts("4242"));
        var excess = WorstExcess(api.CallsOf("sendMessage").Select(c => c.At).ToList(), 1, 3);
        Assert.True(excess <= 0, $"the chat got {excess:0.#} more than 1/s with a burst of 3 allows");
    }

    [PostgresFact]
    public async Task A_429_pause_seen_by_one_instance_holds_for_the_other()
    {
        var (api, database, one, two) = await TwoInstancesAsync(("Outbox:Parallelism", "1"));
        await using var _ = api;
        await using var __ = database;
        await using var ___ = one;
        await using var ____ = two;
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
}
