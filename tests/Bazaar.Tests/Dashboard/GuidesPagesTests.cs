using System.Net;
using System.Text.Json;
using Bazaar.Server.Admin;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Dashboard;

/// <summary>The guides pages: topics per language, add and change with the bot's HTML previewed, a taken topic as a form error, delete.</summary>
public sealed class GuidesPagesTests(DashboardAppFactory app) : IClassFixture<DashboardAppFactory>
{
    private static string NewTopic() => "t" + Guid.NewGuid().ToString("N")[..10];

    private static Dictionary<string, string> Form(string topic, string titleEn = "How to pay", string bodyEn = "# Paying\n- Tap **Pay**", string titleRu = "",
        string bodyRu = "") => new()
    {
        ["topic"] = topic, ["position"] = "40", ["titleEn"] = titleEn, ["titleRu"] = titleRu, ["bodyEn"] = bodyEn, ["bodyRu"] = bodyRu,
    };

    [Fact]
    public async Task A_manager_adds_changes_and_deletes_a_guide_and_each_change_is_audited()
    {
        var topic = NewTopic();
        var c = await app.SignedIn(OperatorRoles.Manager);
        var created = await DashboardTestData.PostForm(c, "/admin/guides", Form(topic, titleRu: "Как оплатить"), "/admin/guides");
        Assert.Contains("added", await DashboardTestData.FlashOrError(c, created));
        Assert.Equal($"/admin/guides/{topic}", created.Headers.Location!.ToString());
        var g = await app.WithDb(db => db.Guides.AsNoTracking().SingleAsync(x => x.Topic == topic));
        Assert.Equal(("How to pay", "Как оплатить", 40, (string?)null), (g.TitleEn, g.TitleRu, g.Position, g.BodyRu));

        var list = await (await c.GetAsync("/admin/guides")).Content.ReadAsStringAsync();
        Assert.Contains($"data-guide=\"{topic}\"", list);
        Assert.Contains("Как оплатить", list);
        Assert.Contains("(English body)", list); // no Russian body: the customer sees the English one

        var page = await (await c.GetAsync($"/admin/guides/{topic}")).Content.ReadAsStringAsync();
        Assert.Contains("<b>Paying</b>", page); // the message as the bot renders it
        Assert.Contains("&lt;b&gt;Paying&lt;/b&gt;", page); // and its HTML, shown as text

        var saved = await DashboardTestData.PostForm(c, $"/admin/guides/{topic}", Form(topic, bodyEn: "Pay with *Stars*", bodyRu: "Оплата _звёздами_"), $"/admin/guides/{topic}");
        Assert.Contains("Saved", await DashboardTestData.FlashOrError(c, saved));
        g = await app.WithDb(db => db.Guides.AsNoTracking().SingleAsync(x => x.Topic == topic));
        Assert.Equal(("Pay with *Stars*", "Оплата _звёздами_"), (g.BodyEn, g.BodyRu));

        var deleted = await DashboardTestData.PostForm(c, $"/admin/guides/{topic}/delete", tokenPage: $"/admin/guides/{topic}");
        Assert.Contains("removed", await DashboardTestData.FlashOrError(c, deleted));
        Assert.False(await app.WithDb(db => db.Guides.AnyAsync(x => x.Topic == topic)));

        var audit = await app.WithDb(db => db.AuditLog.AsNoTracking().Where(a => a.Target == $"guide:{topic}").OrderBy(a => a.Id).ToListAsync());
        Assert.Equal(["guide.create", "guide.update", "guide.delete"], audit.Select(a => a.Action));
        Assert.Equal("# Paying\n- Tap **Pay**", JsonDocument.Parse(audit[1].Before!).RootElement.GetProperty("body_en").GetString());
        Assert.Equal("Pay with *Stars*", JsonDocument.Parse(audit[1].After!).RootElement.GetProperty("body_en").GetString());
        Assert.NotNull(audit[2].Before);
    }

    [Fact]
    public async Task A_taken_topic_is_a_friendly_form_error_that_keeps_what_was_typed()
    {
        var topic = NewTopic();
        var other = NewTopic();
        var c = await app.SignedIn(OperatorRoles.Owner);
        await DashboardTestData.PostForm(c, "/admin/guides", Form(topic), "/admin/guides");
        await DashboardTestData.PostForm(c, "/admin/guides", Form(other), "/admin/guides");

        var body = "A second text " + Guid.NewGuid().ToString("N")[..6];
        var dup = await DashboardTestData.PostForm(c, "/admin/guides", Form(topic, bodyEn: body), "/admin/guides");
        Assert.Equal(HttpStatusCode.Conflict, dup.StatusCode);
        var html = await dup.Content.ReadAsStringAsync();
        Assert.Contains("id=\"form-error\"", html);
        Assert.Contains($"There is already a guide &quot;{topic}&quot;. Choose another topic", html);
        Assert.Contains(body, html);
        Assert.Equal(1, await app.WithDb(db => db.Guides.CountAsync(x => x.Topic == topic)));

        // Renaming a guide to a topic that is taken is the same friendly error, and changes nothing.
        var rename = await DashboardTestData.PostForm(c, $"/admin/guides/{other}", Form(topic, titleEn: "Renamed"), $"/admin/guides/{other}");
        Assert.Equal(HttpStatusCode.Conflict, rename.StatusCode);
        Assert.Contains("Choose another topic", await rename.Content.ReadAsStringAsync());
        Assert.Equal("How to pay", (await app.WithDb(db => db.Guides.AsNoTracking().SingleAsync(x => x.Topic == other))).TitleEn);

        var invalid = await DashboardTestData.PostForm(c, "/admin/guides", Form("Not A Topic"), "/admin/guides");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Contains("lower-case letters", await invalid.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_preview_renders_both_languages_as_the_bot_sends_them_and_never_runs_markup()
    {
        var c = await app.SignedIn(OperatorRoles.Manager);
        var r = await DashboardTestData.PostForm(c, "/admin/guide-preview",
            Form(NewTopic(), titleEn: "Wallet", bodyEn: "**Top up** with `code` <script>alert(1)</script> [site](https://example.com)"), "/admin/guides");
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var html = await r.Content.ReadAsStringAsync();
        Assert.Contains("📖 <b>Wallet</b>", html);
        Assert.Contains("<b>Top up</b> with <code>code</code>", html);
        Assert.Contains("<a href=\"https://example.com\">site</a>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.Contains("&lt;script&gt;", html);
        Assert.Contains("data-preview=\"russian\"", html);
        Assert.Contains("English where Russian is missing", html);
    }

    [Fact]
    public async Task Support_reads_guides_without_a_way_to_change_them()
    {
        var topic = NewTopic();
        await DashboardTestData.PostForm(await app.SignedIn(OperatorRoles.Owner), "/admin/guides", Form(topic), "/admin/guides");
        var support = await app.SignedIn(OperatorRoles.Support);
        Assert.Contains($"data-guide=\"{topic}\"", await (await support.GetAsync("/admin/guides")).Content.ReadAsStringAsync());
        var page = await (await support.GetAsync($"/admin/guides/{topic}")).Content.ReadAsStringAsync();
        Assert.Contains("How to pay", page);
        Assert.DoesNotContain("Save changes", page);
        Assert.DoesNotContain($"/admin/guides/{topic}/delete", page);
        Assert.Matches("name=\"bodyEn\"[^>]*disabled", page);
    }
}
