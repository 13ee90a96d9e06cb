using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Channels;
using Bazaar.Server.ChannelPosts;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>The channel posts pages: schedule, change and delete through the posts' own handlers; a fired post shows as posted.</summary>
public sealed class ChannelPostsPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static long _channel = -1002_000_000_000;
    private static string NewChannel() => Interlocked.Decrement(ref _channel).ToString(CultureInfo.InvariantCulture);

    private string At(TimeSpan fromNow) => app.Clock.GetUtcNow().UtcDateTime.Add(fromNow).ToString("yyyy-MM-ddTHH:mm", CultureInfo.InvariantCulture);

    private static long IdOf(HttpResponseMessage created)
    {
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        return long.Parse(Regex.Match(created.Headers.Location!.ToString(), @"/admin/channel-posts/(\d+)$").Groups[1].Value, CultureInfo.InvariantCulture);
    }

    private Task<ChannelPost> PostAsync(long id) => app.WithDb(db => db.ChannelPosts.AsNoTracking().SingleAsync(p => p.Id == id));

    /// <summary>
    /// Runs due jobs and sends what they queued to the fake Bot API, moving the clock a second at a time for a few
    /// seconds: the sender paces messages to one chat, so an edit and a pin go out a moment apart.
    /// </summary>
    private async Task RunDueAsync(int seconds = 5)
    {
        var sender = app.Services.GetRequiredService<OutboxSender>();
        for (var i = 0; i <= seconds; i++)
        {
            if (i > 0) app.Clock.Advance(TimeSpan.FromSeconds(1));
            for (var round = 0; round < 5; round++)
            {
                var ran = (await JobSteps.DrainAsync(app)).Count;
                var sent = 0;
                for (var r = await sender.RunOnceAsync(default); r.Claimed > 0; r = await sender.RunOnceAsync(default)) sent += r.Claimed;
                if (ran == 0 && sent == 0) break;
            }
        }
    }

    private List<Fakes.FakeBotApi.Call> CallsTo(string chat, string method) => app.Bot.CallsOf(method).Where(c => c.Str("chat_id") == chat).ToList();

    [Fact]
    public async Task A_manager_schedules_changes_and_deletes_a_post_and_every_change_is_audited_with_before_and_after()
    {
        var chat = NewChannel();
        var c = await app.SignedIn(OperatorRoles.Manager);
        var created = await DashboardTestData.PostForm(c, "/admin/channel-posts", new()
        {
            ["chatId"] = chat, ["text"] = "<b>Drop</b> tonight", ["buttons"] = "Shop | https://example.com/shop || Help | https://example.com/help",
            ["pin"] = "on", ["postAt"] = At(TimeSpan.FromHours(1)),
        }, "/admin/channel-posts");
        var id = IdOf(created);
        Assert.Contains("scheduled", await DashboardTestData.FlashOrError(c, created));
        var p = await PostAsync(id);
        Assert.Equal(ChannelPostStatus.Scheduled, p.Status);
        Assert.True(p.Pin);
        Assert.Equal("dashboard:manager", p.CreatedBy);
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime.AddHours(1).ToString("yyyy-MM-dd HH:mm"), p.PostAt.ToString("yyyy-MM-dd HH:mm"));
        Assert.Equal(["Shop", "Help"], p.ButtonRows().Single().Select(b => b.Text));

        var list = await (await c.GetAsync($"/admin/channel-posts?status=Scheduled&chat={Uri.EscapeDataString(chat)}")).Content.ReadAsStringAsync();
        Assert.Contains($"data-post=\"{id}\"", list);
        Assert.Contains("badge-warn\">SCHEDULED", list);
        Assert.DoesNotContain($"data-post=\"{id}\"", await (await c.GetAsync($"/admin/channel-posts?status=Posted&chat={Uri.EscapeDataString(chat)}")).Content.ReadAsStringAsync());

        // Changing the time before posting makes a new version, whose job is the one that posts.
        var page = await (await c.GetAsync($"/admin/channel-posts/{id}")).Content.ReadAsStringAsync();
        var was = Regex.Match(page, "name=\"postAtWas\" value=\"([^\"]+)\"").Groups[1].Value;
        var edited = await DashboardTestData.PostForm(c, $"/admin/channel-posts/{id}", new()
        {
            ["chatId"] = chat, ["text"] = "<b>Drop</b> tomorrow", ["buttons"] = "", ["postAt"] = At(TimeSpan.FromHours(2)), ["postAtWas"] = was,
        }, $"/admin/channel-posts/{id}");
        Assert.Contains("Saved", await DashboardTestData.FlashOrError(c, edited));
        p = await PostAsync(id);
        Assert.Equal(("<b>Drop</b> tomorrow", 2, false, (string?)null), (p.Text, p.Version, p.Pin, p.Buttons));
        Assert.Equal(app.Clock.GetUtcNow().UtcDateTime.AddHours(2).ToString("yyyy-MM-dd HH:mm"), p.PostAt.ToString("yyyy-MM-dd HH:mm"));

        var deleted = await DashboardTestData.PostForm(c, $"/admin/channel-posts/{id}/delete", tokenPage: $"/admin/channel-posts/{id}");
        Assert.Contains("will not be posted", await DashboardTestData.FlashOrError(c, deleted));
        Assert.Equal(ChannelPostStatus.Deleted, (await PostAsync(id)).Status);
        var again = await DashboardTestData.PostForm(c, $"/admin/channel-posts/{id}/delete", tokenPage: $"/admin/channel-posts/{id}");
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(c, again)); // the handler's own rule: deleted once

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Target == $"channel_post:{id}").OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["channel_post.create", "channel_post.update", "channel_post.delete"], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.Equal("manager", a.Actor));
        Assert.Null(audit[0].Before);
        Assert.Contains("Drop</b> tonight", JsonDocument.Parse(audit[1].Before!).RootElement.GetProperty("text").GetString());
        Assert.Contains("Drop</b> tomorrow", JsonDocument.Parse(audit[1].After!).RootElement.GetProperty("text").GetString());
        Assert.Equal("Deleted", JsonDocument.Parse(audit[2].After!).RootElement.GetProperty("status").GetString());

        // The deleted post's jobs, old and new version, post nothing when their time comes.
        app.Clock.Advance(TimeSpan.FromHours(3));
        await RunDueAsync();
        Assert.Empty(CallsTo(chat, "sendMessage"));
    }

    [Fact]
    public async Task A_post_fired_by_its_job_shows_as_posted_then_its_edit_and_deletion_reach_the_channel()
    {
        var chat = NewChannel();
        var c = await app.SignedIn(OperatorRoles.Owner);
        var id = IdOf(await DashboardTestData.PostForm(c, "/admin/channel-posts", new() { ["chatId"] = chat, ["text"] = "Now <i>live</i>" }, "/admin/channel-posts"));
        await RunDueAsync();
        var sent = Assert.Single(CallsTo(chat, "sendMessage"));
        Assert.Equal("Now <i>live</i>", sent.Str("text"));

        var page = await (await c.GetAsync($"/admin/channel-posts/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("badge-ok\">POSTED", page);
        var messageId = (await PostAsync(id)).MessageId;
        Assert.NotNull(messageId);
        Assert.Contains($"<b id=\"message-id\">{messageId}</b>", page);
        Assert.Contains("badge-ok\">POSTED", await (await c.GetAsync($"/admin/channel-posts?chat={Uri.EscapeDataString(chat)}")).Content.ReadAsStringAsync());
        // Once posted, the channel, time and photo are fixed: the form shows them disabled.
        Assert.Matches("name=\"chatId\"[^>]*disabled", page);

        var edited = await DashboardTestData.PostForm(c, $"/admin/channel-posts/{id}", new() { ["text"] = "Now <i>live</i>, updated", ["pin"] = "on" },
            $"/admin/channel-posts/{id}");
        Assert.Contains("being updated", await DashboardTestData.FlashOrError(c, edited));
        await RunDueAsync();
        Assert.Equal("Now <i>live</i>, updated", Assert.Single(CallsTo(chat, "editMessageText")).Str("text"));
        Assert.Equal(messageId.ToString(), Assert.Single(CallsTo(chat, "pinChatMessage")).Str("message_id"));

        var deleted = await DashboardTestData.PostForm(c, $"/admin/channel-posts/{id}/delete", tokenPage: $"/admin/channel-posts/{id}");
        Assert.Contains("removed from the channel", await DashboardTestData.FlashOrError(c, deleted));
        await RunDueAsync();
        Assert.Equal(messageId.ToString(), Assert.Single(CallsTo(chat, "deleteMessage")).Str("message_id"));
        Assert.Contains("badge-muted\">DELETED", await (await c.GetAsync($"/admin/channel-posts/{id}")).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_rejected_post_is_shown_again_with_the_handlers_reason_and_the_text_kept()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var text = "Keep me " + Guid.NewGuid().ToString("N")[..6];
        var bad = await DashboardTestData.PostForm(c, "/admin/channel-posts", new() { ["chatId"] = "not a channel", ["text"] = text }, "/admin/channel-posts");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        var html = await bad.Content.ReadAsStringAsync();
        Assert.Contains("id=\"form-error\"", html);
        Assert.Contains("must be a channel", html);
        Assert.Contains(text, html);

        var late = await DashboardTestData.PostForm(c, "/admin/channel-posts",
            new() { ["chatId"] = NewChannel(), ["text"] = text, ["postAt"] = At(TimeSpan.FromHours(-2)) }, "/admin/channel-posts");
        Assert.Contains("in the past", await late.Content.ReadAsStringAsync());
        var buttons = await DashboardTestData.PostForm(c, "/admin/channel-posts",
            new() { ["chatId"] = NewChannel(), ["text"] = text, ["buttons"] = "no link here" }, "/admin/channel-posts");
        Assert.Contains("is not a button", await buttons.Content.ReadAsStringAsync());
        Assert.Equal(0, await app.WithDb(db => db.ChannelPosts.CountAsync(p => p.Text == text)));
    }

    [Fact]
    public async Task Support_reads_posts_but_gets_no_form_or_delete_button()
    {
        var chat = NewChannel();
        var owner = await app.SignedIn(OperatorRoles.Owner);
        var id = IdOf(await DashboardTestData.PostForm(owner, "/admin/channel-posts",
            new() { ["chatId"] = chat, ["text"] = "Read only", ["postAt"] = At(TimeSpan.FromHours(1)) }, "/admin/channel-posts"));
        var support = await app.SignedIn(OperatorRoles.Support);
        var list = await (await support.GetAsync("/admin/channel-posts")).Content.ReadAsStringAsync();
        Assert.Contains($"data-post=\"{id}\"", list);
        Assert.DoesNotContain("id=\"post-form\"", list);
        var page = await (await support.GetAsync($"/admin/channel-posts/{id}")).Content.ReadAsStringAsync();
        Assert.Contains("Read only", page);
        Assert.DoesNotContain("id=\"post-form\"", page);
        Assert.DoesNotContain($"/admin/channel-posts/{id}/delete", page);
    }
}
