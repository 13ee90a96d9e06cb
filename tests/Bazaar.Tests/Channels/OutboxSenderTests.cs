using System.Text.Json;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Telegram.Bot.Types.ReplyMarkups;

namespace Bazaar.Tests.Channels;

public sealed class OutboxSenderTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_rounds_sent_rows_are_recorded_in_flushes_as_it_goes_and_the_rest_when_it_ends()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:SentFlushSize", "3"), ("Outbox:SentFlushMilliseconds", "600000"), ("Outbox:Parallelism", "1"));
        var ids = new List<long>();
        for (var chat = 2001; chat <= 2007; chat++) ids.AddRange(await h.Texts(chat.ToString(), $"to {chat}"));
        var sentWhileFifthOnTheWire = -1;
        h.Api.AnswerWith("sendMessage", call =>
        {
            if (call.Str("text") == "to 2005")
                sentWhileFifthOnTheWire = h.App.WithDb(db => db.Outbox.CountAsync(m => m.Status == OutboxStatus.Sent)).GetAwaiter().GetResult();
            return new System.Text.Json.Nodes.JsonObject
            {
                ["message_id"] = 7, ["date"] = 0, ["chat"] = new System.Text.Json.Nodes.JsonObject { ["id"] = long.Parse(call.Str("chat_id")!), ["type"] = "private" },
            };
        });

        var round = await h.RunOnce();

        Assert.Equal(7, round.Sent);
        // The first three were recorded before the round went on: a crash now would resend at most one flush's worth.
        Assert.Equal(3, sentWhileFifthOnTheWire);
        foreach (var id in ids)
        {
            var row = await h.Row(id);
            Assert.Equal((OutboxStatus.Sent, 1, (string?)null, h.Now), (row.Status, row.Attempts, row.LockedBy, row.SentAt));
            Assert.Contains("\"message_id\":7", row.Result);
        }
        Assert.Equal(0, (await h.RunOnce()).Sent);
        Assert.Equal(7, h.Api.CallsOf("sendMessage").Count());
    }

    [Fact]
    public async Task Delivers_a_text_through_the_real_client_and_stores_the_result()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var keyboard = new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("Buy", "shop:buy:7"));
        var id = (await h.Enqueue(o => [o.SendText(OutboxAppHost.Chat("1001"), "<b>hello</b>", keyboard)])).Single();

        var round = await h.RunOnce();

        Assert.Equal(1, round.Sent);
        var call = Assert.Single(h.Api.CallsOf("sendMessage"));
        Assert.Equal("1001", call.Str("chat_id"));
        Assert.Equal("<b>hello</b>", call.Str("text"));
        Assert.Equal("html", call.Str("parse_mode")?.ToLowerInvariant());
        Assert.Equal("shop:buy:7", call.Parameters["reply_markup"]!["inline_keyboard"]![0]![0]!["callback_data"]!.GetValue<string>());
        var row = await h.Row(id);
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Equal(h.Now, row.SentAt);
        Assert.Equal(1, row.Attempts);
        Assert.Null(row.LockedBy);
        using var result = JsonDocument.Parse(row.Result!);
        Assert.True(result.RootElement.GetProperty("message_id").GetInt32() > 0);
        Assert.Equal("<b>hello</b>", result.RootElement.GetProperty("text").GetString());

        Assert.Equal(0, (await h.RunOnce()).Sent);
        Assert.Single(h.Api.CallsOf("sendMessage"));
    }

    [Fact]
    public async Task A_private_chat_gets_a_burst_then_one_message_per_second_in_order()
    {
        await using var h = await OutboxAppHost.StartAsync();
        await h.Texts("1001", "m1", "m2", "m3", "m4", "m5");

        await h.RunOnce();
        Assert.Equal(["m1", "m2", "m3"], h.SentTexts("1001"));
        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("1001").Count);

        h.Advance(TimeSpan.FromMilliseconds(500));
        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("1001").Count);

        h.Advance(TimeSpan.FromMilliseconds(500));
        await h.RunOnce();
        Assert.Equal(["m1", "m2", "m3", "m4"], h.SentTexts("1001"));

        h.Advance(Second);
        await h.RunOnce();
        Assert.Equal(["m1", "m2", "m3", "m4", "m5"], h.SentTexts("1001"));
    }

    [Fact]
    public async Task A_group_gets_twenty_a_minute()
    {
        await using var h = await OutboxAppHost.StartAsync();
        await h.Texts("-100777", "g1", "g2", "g3", "g4", "g5");
        await h.Texts("1001", "p1");

        await h.RunOnce();
        Assert.Equal(["g1", "g2", "g3"], h.SentTexts("-100777"));
        Assert.Equal(["p1"], h.SentTexts("1001"));

        h.Advance(Second * 2);
        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("-100777").Count);

        h.Advance(Second);
        await h.RunOnce();
        Assert.Equal(["g1", "g2", "g3", "g4"], h.SentTexts("-100777"));

        h.Advance(Second * 3);
        await h.RunOnce();
        Assert.Equal(5, h.SentTexts("-100777").Count);
    }

    [Fact]
    public async Task All_chats_together_stay_under_the_global_rate()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:GlobalPerSecond", "4"));
        var chats = Enumerable.Range(1, 10).Select(i => (2000 + i).ToString()).ToList();
        await h.Enqueue(o => chats.Select(c => o.SendText(OutboxAppHost.Chat(c), "hi " + c)).ToList());

        await h.RunOnce();
        await h.RunOnce();
        Assert.Equal(chats.Take(4).Select(c => "hi " + c).Order(), h.Api.CallsOf("sendMessage").Select(c => c.Str("text")).Order());

        h.Advance(Second / 2);
        await h.RunOnce();
        Assert.Equal(6, h.Api.CallsOf("sendMessage").Count());

        h.Advance(Second);
        await h.RunOnce();
        Assert.Equal(10, h.Api.CallsOf("sendMessage").Count());
        Assert.Equal(chats.Select(c => "hi " + c).Order(), h.Api.CallsOf("sendMessage").Select(c => c.Str("text")).Order());
    }

    [Fact]
    public async Task A_long_queue_in_one_chat_does_not_hold_up_other_chats()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:BatchSize", "5"));
        await h.Texts("1001", Enumerable.Range(1, 20).Select(i => $"bulk {i}").ToArray());
        await h.Texts("1002", "hello");

        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("1001").Count);
        Assert.Equal(["hello"], h.SentTexts("1002"));
    }

    [Fact]
    public async Task Urgent_answers_skip_the_pacing_and_go_first()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:Parallelism", "1"), ("Outbox:GlobalPerSecond", "3"));
        await h.Texts("1001", "m1", "m2", "m3");
        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("1001").Count);

        // The chat and the global bucket are empty now; the answers still go, ahead of the queued text.
        var ids = await h.Enqueue(o =>
        [
            o.SendText(OutboxAppHost.Chat("1001"), "m4"),
            o.AnswerCallback(OutboxAppHost.Chat("1001"), "cbq-1", "Added"),
            o.AnswerPreCheckout(OutboxAppHost.Chat("1001"), "pcq-1"),
        ]);
        await h.RunOnce();

        Assert.Equal("Added", Assert.Single(h.Api.CallsOf("answerCallbackQuery")).Str("text"));
        Assert.Equal("true", Assert.Single(h.Api.CallsOf("answerPreCheckoutQuery")).Str("ok"));
        Assert.Equal(3, h.SentTexts("1001").Count);
        Assert.Equal(OutboxStatus.Pending, (await h.Row(ids[0])).Status);

        h.Advance(Second);
        await h.Texts("1001", "m5");
        await h.Enqueue(o => [o.AnswerCallback(OutboxAppHost.Chat("1001"), "cbq-2")]);
        await h.RunOnce();
        var order = h.Api.Calls.Skip(5).Select(c => c.Method).ToList();
        Assert.Equal(["answerCallbackQuery", "sendMessage"], order);
        Assert.Equal(["m1", "m2", "m3", "m4"], h.SentTexts("1001"));
    }

    [Fact]
    public async Task A_429_waits_retry_after_for_that_chat_without_counting_as_a_failure()
    {
        // With no retry window a transient failure would fail the row at once: a 429 must not count as one.
        await using var h = await OutboxAppHost.StartAsync(("Outbox:RetryWindowMinutes", "0"));
        h.Api.FailNextFor("1001", 429, "Too Many Requests: retry after 5", retryAfter: 5, times: 2);
        var ids = await h.Texts("1001", "m1", "m2");
        await h.Texts("1002", "other");

        await h.RunOnce();
        Assert.Equal(["m1"], h.SentTexts("1001"));
        Assert.Equal(["other"], h.SentTexts("1002"));
        var first = await h.Row(ids[0]);
        Assert.Equal(OutboxStatus.Pending, first.Status);
        Assert.Equal(0, first.Attempts);
        Assert.Equal(h.Now.AddSeconds(5), first.NextAttemptAt);
        Assert.Contains("429", first.LastError);
        Assert.Equal(OutboxStatus.Pending, (await h.Row(ids[1])).Status);

        h.Advance(Second * 4);
        await h.RunOnce();
        Assert.Single(h.SentTexts("1001"));

        h.Advance(Second);
        await h.RunOnce(); // the second 429
        Assert.Equal(2, h.SentTexts("1001").Count);
        h.Advance(Second * 4.9);
        await h.RunOnce();
        Assert.Equal(2, h.SentTexts("1001").Count);

        h.Advance(Second * 0.1);
        await h.RunOnce();
        Assert.Equal(["m1", "m1", "m1", "m2"], h.SentTexts("1001"));
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[0])).Status);
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[1])).Status);
    }

    [Fact]
    public async Task A_429_on_a_call_for_no_chat_pauses_the_whole_bot()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:Parallelism", "1"));
        h.Api.FailNext("answerCallbackQuery", 429, "Too Many Requests: retry after 10", retryAfter: 10);
        await h.Enqueue(o => [o.AnswerCallback(OutboxAppHost.Chat("1001"), "cbq-1")]);
        await h.Texts("1002", "later");

        await h.RunOnce();
        Assert.Single(h.Api.CallsOf("answerCallbackQuery"));
        Assert.Empty(h.SentTexts("1002"));

        h.Advance(Second * 9);
        await h.RunOnce();
        Assert.Single(h.Api.CallsOf("answerCallbackQuery"));
        Assert.Empty(h.SentTexts("1002"));

        h.Advance(Second);
        await h.RunOnce();
        Assert.Equal(2, h.Api.CallsOf("answerCallbackQuery").Count());
        Assert.Equal(["later"], h.SentTexts("1002"));
    }

    [Fact]
    public async Task A_403_blocks_the_user_and_drops_the_chat_queue()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var userId = await h.App.WithDb(async db =>
        {
            var u = new ChatUser { Channel = ChatChannel.Telegram, ExternalId = "3003", FirstName = "Ann", CreatedAt = h.Now, LastSeenAt = h.Now };
            db.Users.Add(u);
            await db.SaveChangesAsync();
            return u.Id;
        });
        h.Api.FailNextFor("3003", 403, "Forbidden: bot was blocked by the user");
        var ids = await h.Texts("3003", "m1", "m2", "m3", "m4");
        await h.Texts("3004", "fine");

        await h.RunOnce();

        Assert.Equal(["m1"], h.SentTexts("3003"));
        Assert.Equal(["fine"], h.SentTexts("3004"));
        foreach (var id in ids)
        {
            var row = await h.Row(id);
            Assert.Equal(OutboxStatus.Dropped, row.Status);
            Assert.Contains("403", row.LastError);
        }
        var user = await h.App.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == userId));
        Assert.True(user.IsBlocked);
        Assert.Equal(h.Now, user.BlockedAt);

        // New messages to the blocked user are dropped, by user id or by chat id, without a call.
        var later = await h.Enqueue(o => [o.SendText(OutboxAppHost.Chat("3003", userId), "again"), o.SendText(OutboxAppHost.Chat("3003"), "and again")]);
        h.Advance(Second * 10);
        await h.RunOnce();
        Assert.Equal(["m1"], h.SentTexts("3003"));
        Assert.Equal(OutboxStatus.Dropped, (await h.Row(later[0])).Status);
        Assert.Equal(OutboxStatus.Dropped, (await h.Row(later[1])).Status);
    }

    [Fact]
    public async Task A_400_fails_at_once_without_retry_and_the_chat_goes_on()
    {
        await using var h = await OutboxAppHost.StartAsync();
        h.Api.FailNextFor("1001", 400, "Bad Request: message text is empty");
        var ids = await h.Texts("1001", "m1", "m2");

        await h.RunOnce();
        var failed = await h.Row(ids[0]);
        Assert.Equal(OutboxStatus.Failed, failed.Status);
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("message text is empty", failed.LastError);
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[1])).Status);

        h.Advance(TimeSpan.FromHours(1));
        await h.RunOnce();
        Assert.Equal(["m1", "m2"], h.SentTexts("1001"));
    }

    [Fact]
    public async Task A_500_retries_with_growing_backoff_and_fails_when_the_retry_window_has_passed()
    {
        // Window 20 s: the second failure (~10 s in) is retried, the third (22.5 to 37.5 s in) ends it.
        await using var h = await OutboxAppHost.StartAsync(("Outbox:RetryWindowMinutes", (20 / 60.0).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("Outbox:RetryBaseSeconds", "10"));
        h.Api.FailNextFor("1001", 500, "Internal Server Error", times: 100);
        var ids = await h.Texts("1001", "m1", "m2");

        await h.RunOnce();
        var row = await h.Row(ids[0]);
        Assert.Equal((OutboxStatus.Pending, 1), (row.Status, row.Attempts));
        Assert.Contains("500", row.LastError);
        var wait1 = row.NextAttemptAt - h.Now;
        Assert.InRange(wait1.TotalSeconds, 7.5, 12.5);
        Assert.Single(h.SentTexts("1001")); // m2 waits behind m1

        h.Advance(wait1 - TimeSpan.FromMilliseconds(1));
        await h.RunOnce();
        Assert.Single(h.SentTexts("1001"));

        h.Advance(TimeSpan.FromMilliseconds(1));
        await h.RunOnce();
        row = await h.Row(ids[0]);
        Assert.Equal((OutboxStatus.Pending, 2), (row.Status, row.Attempts));
        var wait2 = row.NextAttemptAt - h.Now;
        Assert.InRange(wait2.TotalSeconds, 15, 25);

        h.Advance(wait2);
        await h.RunOnce();
        row = await h.Row(ids[0]);
        Assert.Equal((OutboxStatus.Failed, 3), (row.Status, row.Attempts));
        // m1 gave up, so m2 had its turn in the same round (and failed once itself).
        Assert.Equal(["m1", "m1", "m1", "m2"], h.SentTexts("1001"));

        h.Advance(TimeSpan.FromDays(1));
        await h.RunOnce();
        Assert.Equal(3, h.SentTexts("1001").Count(t => t == "m1"));
    }

    [Fact]
    public async Task A_ten_minute_Bot_API_outage_loses_no_message()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var credit = await h.Texts("1001", "25 USD has been added to your wallet");
        var others = await h.Texts("1002", "o1", "o2");
        h.Api.FailEverything(502, "Bad Gateway");

        // Ten minutes of 502s, the sender trying whenever a row is due.
        var end = h.Now.AddMinutes(10);
        while (h.Now < end)
        {
            await h.RunOnce();
            h.Advance(TimeSpan.FromSeconds(5));
        }
        var during = await h.Row(credit[0]);
        Assert.Equal(OutboxStatus.Pending, during.Status);
        Assert.True(during.Attempts > 5, $"only {during.Attempts} attempts in 10 minutes");
        var triedDuring = h.SentTexts("1001").Count;

        h.Api.Recover();
        // Backoff is capped, so within about a minute of the end of the outage everything is out, in order, once.
        for (var i = 0; i < 30; i++)
        {
            await h.RunOnce();
            h.Advance(TimeSpan.FromSeconds(5));
        }
        // One call after the outage delivered it, and nothing was sent twice.
        Assert.Equal(triedDuring + 1, h.SentTexts("1001").Count);
        Assert.Equal(["o1", "o2"], h.SentTexts("1002").Distinct());
        foreach (var id in credit.Concat(others))
        {
            var row = await h.Row(id);
            Assert.Equal(OutboxStatus.Sent, row.Status);
            Assert.Null(row.FailingSince);
        }
    }

    [Fact]
    public async Task Stale_callback_answers_and_menu_edits_expire_with_a_reason_but_notifications_never_do()
    {
        // A retry window longer than the test, so nothing ends as Failed on the way.
        await using var h = await OutboxAppHost.StartAsync(("Outbox:RetryWindowMinutes", "3000"));
        h.Api.FailEverything(502, "Bad Gateway");
        var ids = await h.Enqueue(o =>
        [
            o.AnswerCallback(OutboxAppHost.Chat("1001"), "cbq-1", "Added"),
            o.EditText(OutboxAppHost.Chat("1002"), 7, "menu"),
            o.SendText(OutboxAppHost.Chat("1003"), "your order has shipped"),
        ]);
        await h.RunOnce();

        // 16 s later the answer is useless: it expires, the others keep waiting.
        h.Advance(TimeSpan.FromSeconds(16));
        h.Api.Recover();
        h.Api.FailNextFor("1002", 502, "Bad Gateway", times: 1000);
        h.Api.FailNextFor("1003", 502, "Bad Gateway", times: 1000);
        var answersTried = h.Api.CallsOf("answerCallbackQuery").Count();
        await h.RunOnce();
        var answer = await h.Row(ids[0]);
        Assert.Equal(OutboxStatus.Expired, answer.Status);
        Assert.Contains("answerCallbackQuery", answer.LastError);
        Assert.Equal(answersTried, h.Api.CallsOf("answerCallbackQuery").Count());

        // Past a day the edit expires too; the notification is still waiting for the Bot API.
        for (var i = 0; i < 26; i++)
        {
            h.Advance(TimeSpan.FromHours(1));
            await h.RunOnce();
        }
        var edit = await h.Row(ids[1]);
        Assert.Equal(OutboxStatus.Expired, edit.Status);
        Assert.Contains("editMessageText", edit.LastError);
        Assert.Equal(OutboxStatus.Pending, (await h.Row(ids[2])).Status);
    }

    [Fact]
    public async Task A_network_failure_is_retried_later()
    {
        // Nothing listens on port 9 of the loopback: the connection is refused.
        await using var h = await OutboxAppHost.StartAsync(("Telegram:ApiBaseUrl", "http://127.0.0.1:9"));
        var id = (await h.Texts("1001", "m1")).Single();

        await h.RunOnce();

        var row = await h.Row(id);
        Assert.Equal((OutboxStatus.Pending, 1), (row.Status, row.Attempts));
        Assert.False(string.IsNullOrEmpty(row.LastError));
        Assert.True(row.NextAttemptAt > h.Now);
        Assert.Null(row.LockedBy);
    }

    [Fact]
    public async Task A_document_is_uploaded_as_multipart_and_a_file_id_is_sent_as_is()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var content = Enumerable.Range(0, 3000).Select(i => (byte)(i * 7)).ToArray();
        var ids = await h.Enqueue(o =>
        [
            o.SendDocument(OutboxAppHost.Chat("1001"), "report.csv", content, "Your report"),
            o.SendPhoto(OutboxAppHost.Chat("1001"), "AgACAgIAAxkBAAIBfileid"),
        ]);
        Assert.Equal(1, await h.App.WithDb(db => db.OutboxAttachments.CountAsync(a => a.OutboxMessageId == ids[0])));

        await h.RunOnce();

        var doc = Assert.Single(h.Api.CallsOf("sendDocument"));
        Assert.True(doc.IsMultipart);
        Assert.Equal("report.csv", doc.File("document")!.FileName);
        Assert.Equal(content, doc.File("document")!.Content);
        Assert.Equal("Your report", doc.Str("caption"));
        Assert.Equal("1001", doc.Str("chat_id"));
        var photo = Assert.Single(h.Api.CallsOf("sendPhoto"));
        Assert.False(photo.IsMultipart);
        Assert.Equal("AgACAgIAAxkBAAIBfileid", photo.Str("photo"));
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[0])).Status);
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[1])).Status);
        // The bytes are not kept once they are delivered.
        Assert.Equal(0, await h.App.WithDb(db => db.OutboxAttachments.CountAsync(a => a.OutboxMessageId == ids[0])));
    }

    [Fact]
    public async Task An_uploaded_photo_survives_a_failed_attempt()
    {
        await using var h = await OutboxAppHost.StartAsync();
        h.Api.FailNextFor("1001", 502, "Bad Gateway");
        var ids = await h.Enqueue(o => [o.SendPhoto(OutboxAppHost.Chat("1001"), "cat.jpg", [1, 2, 3], "A cat")]);

        await h.RunOnce();
        Assert.Equal(OutboxStatus.Pending, (await h.Row(ids[0])).Status);
        h.Advance(TimeSpan.FromMinutes(1));
        await h.RunOnce();

        var calls = h.Api.CallsOf("sendPhoto").ToList();
        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(new byte[] { 1, 2, 3 }, c.File("photo")!.Content));
        Assert.Equal(OutboxStatus.Sent, (await h.Row(ids[0])).Status);
    }

    [Fact]
    public async Task Other_channels_are_left_alone()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var ids = await h.Enqueue(o => [o.SendText(new ChatTarget(ChatChannel.Sandbox, "55"), "sandbox reply")]);
        await h.RunOnce();
        Assert.Empty(h.Api.Calls);
        Assert.Equal(OutboxStatus.Pending, (await h.Row(ids[0])).Status);
    }

    [Fact]
    public async Task The_background_loop_wakes_when_a_message_is_saved()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:Enabled", "true"), ("Outbox:PollSeconds", "3600"));
        await h.Texts("1001", "first");
        await Eventually(() => h.SentTexts("1001").Count == 1);

        // The loop is waiting now and the fake clock does not move: only the signal can start another round.
        var ids = await h.Texts("1001", "wake up");
        await Eventually(() => h.SentTexts("1001").Count == 2);
        await Eventually(async () => (await h.Row(ids[0])).Status == OutboxStatus.Sent);
    }

    [Fact]
    public async Task The_background_loop_wakes_when_the_callers_own_transaction_commits()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:Enabled", "true"), ("Outbox:PollSeconds", "3600"));
        await h.Texts("1001", "first");
        await Eventually(() => h.SentTexts("1001").Count == 1);

        await using var scope = h.App.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<BazaarDb>();
        await using var tx = await db.Database.BeginTransactionAsync();
        scope.ServiceProvider.GetRequiredService<Outbox>().SendText(OutboxAppHost.Chat("1001"), "in a transaction");
        await db.SaveChangesAsync();
        await tx.CommitAsync();

        await Eventually(() => h.SentTexts("1001").Count == 2);
    }

    [Fact]
    public async Task Old_finished_rows_are_cleaned_up_after_the_retention_period()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:RetentionDays", "7"));
        h.Api.FailNextFor("1002", 400, "Bad Request");
        var old = await h.Texts("1001", "old");
        var oldFailed = await h.Texts("1002", "old failed");
        var oldPending = await h.Enqueue(o => [o.SendText(new ChatTarget(ChatChannel.Sandbox, "9"), "not mine")]);
        await h.RunOnce();
        h.Advance(TimeSpan.FromDays(6));
        var recent = await h.Texts("1001", "recent");
        await h.RunOnce();
        h.Advance(TimeSpan.FromDays(2));

        Assert.Equal(2, await h.Sender.CleanUpAsync(CancellationToken.None));

        var left = await h.App.WithDb(db => db.Outbox.Select(m => m.Id).ToListAsync());
        Assert.DoesNotContain(old[0], left);
        Assert.DoesNotContain(oldFailed[0], left);
        Assert.Contains(oldPending[0], left);
        Assert.Contains(recent[0], left);
    }

    internal static async Task Eventually(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 500; i++)
        {
            if (await condition()) return;
            await Task.Delay(20);
        }
        Assert.Fail("The condition did not become true within 10 s.");
    }

    internal static Task Eventually(Func<bool> condition) => Eventually(() => Task.FromResult(condition()));
}

public sealed class OutboxMethodTests
{
    [Fact]
    public async Task Every_kind_of_queued_call_reaches_the_bot_api_with_its_parameters()
    {
        await using var h = await OutboxAppHost.StartAsync(("Outbox:PrivateChatBurst", "20"));
        var chat = OutboxAppHost.Chat("1001");
        var id = new global::Telegram.Bot.Types.ChatId(1001);
        var ids = await h.Enqueue(o =>
        [
            o.EditText(chat, 77, "edited", new InlineKeyboardMarkup(InlineKeyboardButton.WithCallbackData("x", "y"))),
            o.Enqueue(chat, new global::Telegram.Bot.Requests.EditMessageReplyMarkupRequest { ChatId = id, MessageId = 77 }),
            o.Enqueue(chat, new global::Telegram.Bot.Requests.DeleteMessageRequest { ChatId = id, MessageId = 78 }),
            o.Enqueue(chat, new global::Telegram.Bot.Requests.SendInvoiceRequest
            {
                ChatId = id, Title = "Stars", Description = "100 stars", Payload = "order:5", Currency = "XTR",
                Prices = [new global::Telegram.Bot.Types.Payments.LabeledPrice("Stars", 100)],
            }),
            o.Enqueue(new ChatTarget("telegram", ""), new global::Telegram.Bot.Requests.CreateInvoiceLinkRequest
            {
                Title = "Stars", Description = "100 stars", Payload = "order:6", Currency = "XTR",
                Prices = [new global::Telegram.Bot.Types.Payments.LabeledPrice("Stars", 100)],
            }),
            o.Enqueue(chat, new global::Telegram.Bot.Requests.RefundStarPaymentRequest { UserId = 1001, TelegramPaymentChargeId = "ch_1" }),
            o.Enqueue(new ChatTarget("telegram", ""), new global::Telegram.Bot.Requests.SetMyCommandsRequest
            {
                Commands = [new global::Telegram.Bot.Types.BotCommand("start", "Start"), new global::Telegram.Bot.Types.BotCommand("help", "Help")],
                LanguageCode = "ru",
            }),
            o.AnswerPreCheckout(chat, "pcq-9", "Sold out"),
        ]);

        await h.RunOnce();

        Assert.Equal("edited", Assert.Single(h.Api.CallsOf("editMessageText")).Str("text"));
        Assert.Equal("77", Assert.Single(h.Api.CallsOf("editMessageReplyMarkup")).Str("message_id"));
        Assert.Equal("78", Assert.Single(h.Api.CallsOf("deleteMessage")).Str("message_id"));
        var invoice = Assert.Single(h.Api.CallsOf("sendInvoice"));
        Assert.Equal("XTR", invoice.Str("currency"));
        Assert.Equal(100, invoice.Parameters["prices"]![0]!["amount"]!.GetValue<int>());
        Assert.Equal("order:6", Assert.Single(h.Api.CallsOf("createInvoiceLink")).Str("payload"));
        Assert.Equal("ch_1", Assert.Single(h.Api.CallsOf("refundStarPayment")).Str("telegram_payment_charge_id"));
        var commands = Assert.Single(h.Api.CallsOf("setMyCommands"));
        Assert.Equal("ru", commands.Str("language_code"));
        Assert.Equal("help", commands.Parameters["commands"]![1]!["command"]!.GetValue<string>());
        var answer = Assert.Single(h.Api.CallsOf("answerPreCheckoutQuery"));
        Assert.Equal("false", answer.Str("ok"));
        Assert.Equal("Sold out", answer.Str("error_message"));

        foreach (var rowId in ids) Assert.Equal(OutboxStatus.Sent, (await h.Row(rowId)).Status);
        Assert.StartsWith("\"https://t.me/", (await h.Row(ids[4])).Result);
    }

    [Fact]
    public async Task A_method_the_sender_does_not_know_fails_with_a_reason()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var id = (await h.Enqueue(o => [o.Enqueue(OutboxAppHost.Chat("1001"), new global::Telegram.Bot.Requests.GetMeRequest())])).Single();
        await h.RunOnce();
        var row = await h.Row(id);
        Assert.Equal(OutboxStatus.Failed, row.Status);
        Assert.Contains("getMe", row.LastError);
        Assert.Empty(h.Api.Calls);
    }
}
