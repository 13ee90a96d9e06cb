using System.Net;
using System.Text.RegularExpressions;
using Bazaar.Server.Admin;
using Bazaar.Server.Broadcasts;
using Bazaar.Tests.Jobs;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Dashboard;

/// <summary>The broadcasts pages: preview with the dry-run count, a draft with a test copy, start, pause, resume, cancel; and /admin's entry.</summary>
public sealed class BroadcastsPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private async Task<(long Admin, List<long> Ids)> UsersAsync(int n)
    {
        // The operator's own Telegram user, who has talked to the bot, gets the test copy.
        await app.Send(Updates.Text(BotAppFactory.AdminUserId, "/start"));
        var ids = new List<long>();
        for (var i = 0; i < n; i++) ids.Add((await app.UserAsync("Rec")).Id);
        return (BotAppFactory.AdminUserId, ids);
    }

    private static Dictionary<string, string> Form(string text, IEnumerable<long> ids, long? testTo = null) => new()
    {
        ["text"] = text, ["segment"] = "ids", ["value"] = string.Join(", ", ids), ["testTo"] = testTo?.ToString() ?? "",
    };

    [Fact]
    public async Task The_preview_shows_the_message_and_the_recipient_count_from_a_dry_run()
    {
        var (_, ids) = await UsersAsync(3);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var text = "<b>Sale</b> today " + Guid.NewGuid().ToString("N")[..6];
        var r = await DashboardTestData.PostForm(c, "/admin/broadcasts/preview", Form(text, ids), "/admin/broadcasts");
        var html = await r.Content.ReadAsStringAsync();
        Assert.Contains("<b>Sale</b>", html);
        Assert.Contains("data-count=\"3\"", html);
        Assert.Equal(0, await app.WithDb(db => db.Broadcasts.CountAsync(b => b.Text == text))); // a dry run stores nothing

        var script = await (await DashboardTestData.PostForm(c, "/admin/broadcasts/preview", Form("<script>alert(1)</script>", ids), "/admin/broadcasts")).Content.ReadAsStringAsync();
        Assert.Contains("&lt;script&gt;", script); // shown, never run
        Assert.DoesNotContain("<script>", script);

        var bad = await DashboardTestData.PostForm(c, "/admin/broadcasts/preview", new() { ["text"] = "Hi", ["segment"] = "tier", ["value"] = "wood" }, "/admin/broadcasts");
        Assert.Contains("preview-problem", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_draft_sends_the_test_copy_to_the_operator_then_starts_pauses_resumes_and_cancels()
    {
        var (admin, ids) = await UsersAsync(2);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var text = "Draft " + Guid.NewGuid().ToString("N")[..6];
        var before = (await app.OutboxFor(admin)).Count;
        var created = await DashboardTestData.PostForm(c, "/admin/broadcasts", Form(text, ids, admin), "/admin/broadcasts");
        Assert.Contains("test copy sent", await DashboardTestData.FlashOrError(c, created));
        var id = long.Parse(Regex.Match(created.Headers.Location!.ToString(), @"/admin/broadcasts/(\d+)").Groups[1].Value);
        Assert.Equal(BroadcastStatus.Draft, (await app.WithDb(db => db.Broadcasts.SingleAsync(b => b.Id == id))).Status);
        Assert.Contains(await app.OutboxFor(admin), m => m.Payload.Contains(text));
        Assert.True((await app.OutboxFor(admin)).Count > before);
        Assert.Contains("data-count=\"2\"", await (await c.GetAsync($"/admin/broadcasts/{id}")).Content.ReadAsStringAsync());

        Assert.Contains("on its way", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/broadcasts/{id}/start", tokenPage: $"/admin/broadcasts/{id}")));
        Assert.Equal(BroadcastStatus.Running, (await app.WithDb(db => db.Broadcasts.SingleAsync(b => b.Id == id))).Status);
        var again = await DashboardTestData.PostForm(c, $"/admin/broadcasts/{id}/start", tokenPage: $"/admin/broadcasts/{id}");
        Assert.StartsWith("!", await DashboardTestData.FlashOrError(c, again)); // started once only

        Assert.Contains("is paused", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/broadcasts/{id}/pause", tokenPage: $"/admin/broadcasts/{id}")));
        var paused = await (await c.GetAsync($"/admin/broadcasts/{id}/progress")).Content.ReadAsStringAsync();
        Assert.Contains($"/admin/broadcasts/{id}/resume", paused);
        Assert.Contains("is running", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/broadcasts/{id}/resume", tokenPage: $"/admin/broadcasts/{id}")));
        Assert.Contains("is cancelled", await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, $"/admin/broadcasts/{id}/cancel", tokenPage: $"/admin/broadcasts/{id}")));
        var actions = await app.WithDb(db => db.AuditLog.Where(a => a.Target == $"broadcast:{id}").Select(a => a.Action).ToListAsync());
        Assert.Equal(["broadcast.cancel", "broadcast.create", "broadcast.pause", "broadcast.resume", "broadcast.start"], actions.Order().ToArray());
    }

    [Fact]
    public async Task Buttons_from_the_compose_form_are_previewed_checked_by_the_broadcasts_rules_and_sent_under_the_message()
    {
        var (admin, ids) = await UsersAsync(1);
        var c = await app.SignedIn(OperatorRoles.Manager);
        var text = "With buttons " + Guid.NewGuid().ToString("N")[..6];
        var form = Form(text, ids, admin);
        form["buttons"] = "Open the shop | https://t.me/bazaar_bot?start=shop\nSite | https://example.com/a || Help | https://example.com/help";
        var preview = await (await DashboardTestData.PostForm(c, "/admin/broadcasts/preview", form, "/admin/broadcasts")).Content.ReadAsStringAsync();
        Assert.Contains("<span class=\"tg-button\" title=\"https://t.me/bazaar_bot?start=shop\">Open the shop</span>", preview);
        Assert.Equal(2, Regex.Matches(preview, "class=\"tg-buttons\"").Count);

        var created = await DashboardTestData.PostForm(c, "/admin/broadcasts", form, "/admin/broadcasts");
        Assert.Contains("test copy sent", await DashboardTestData.FlashOrError(c, created));
        var b = await app.WithDb(db => db.Broadcasts.AsNoTracking().SingleAsync(x => x.Text == text));
        Assert.Equal([["Open the shop"], ["Site", "Help"]], b.ButtonRows().Select(r => r.Select(x => x.Text).ToArray()).ToArray());
        Assert.Equal("https://example.com/help", b.ButtonRows()[1][1].Url);
        // The test copy carries them as URL buttons.
        var copy = (await app.OutboxFor(admin)).Last(m => m.Payload.Contains(text));
        Assert.Contains("https://t.me/bazaar_bot?start=shop", copy.Payload);
        Assert.Contains("inline_keyboard", copy.Payload);

        // A line that is not a button, and a URL the broadcasts refuse: nothing is created.
        foreach (var (box, problem) in new[] { ("Just text", "is not a button"), ("Run | javascript:alert(1)", "needs an http(s) or tg:// URL") })
        {
            var bad = Form("Bad " + Guid.NewGuid().ToString("N")[..6], ids, admin);
            bad["buttons"] = box;
            var flash = await DashboardTestData.FlashOrError(c, await DashboardTestData.PostForm(c, "/admin/broadcasts", bad, "/admin/broadcasts"));
            Assert.StartsWith("!", flash);
            Assert.Contains(problem, flash);
            Assert.Equal(0, await app.WithDb(db => db.Broadcasts.CountAsync(x => x.Text == bad["text"])));
        }
    }

    [Fact]
    public async Task A_test_copy_needs_a_telegram_id_that_has_talked_to_the_bot()
    {
        var (_, ids) = await UsersAsync(1);
        var c = await app.SignedIn(OperatorRoles.Owner);
        var r = await DashboardTestData.PostForm(c, "/admin/broadcasts", Form("Hello", ids, 123), "/admin/broadcasts");
        var flash = await DashboardTestData.FlashOrError(c, r);
        Assert.StartsWith("!", flash);
        Assert.Contains("has not talked to the bot", flash);
    }

    [Fact]
    public async Task Support_sees_broadcasts_but_not_the_compose_form()
    {
        var html = await (await (await app.SignedIn(OperatorRoles.Support)).GetAsync("/admin/broadcasts")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("action=\"/admin/broadcasts\"", html);
        Assert.Contains("<h1>Broadcasts</h1>", html);
    }

    [Fact]
    public async Task The_bot_admin_menu_starts_the_broadcasts_own_flow()
    {
        await app.Send(Updates.Text(BotAppFactory.AdminUserId, "/admin"));
        app.Clock.Advance(TimeSpan.FromSeconds(1.1));
        await app.Send(Updates.Callback(BotAppFactory.AdminUserId, "admin:broadcast"));
        Assert.Equal(BroadcastTexts.AskText.En, (await app.TextsFor(BotAppFactory.AdminUserId)).Last());
        await app.Send(Updates.Text(BotAppFactory.AdminUserId, "Hello from the admin menu"));
        Assert.Equal(BroadcastTexts.ChooseSegment.En, (await app.TextsFor(BotAppFactory.AdminUserId)).Last());
    }
}
