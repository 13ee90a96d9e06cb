using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Guides;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Guides;

public sealed class GuideTests(BotAppFactory app) : IClassFixture<BotAppFactory>
{
    private static int _n;
    private static string NewTopic(string name) => $"{name}-{Interlocked.Increment(ref _n)}";

    private async Task CreateAsync(string topic, string titleEn, string? titleRu, string bodyEn, string? bodyRu, int position = 0)
    {
        var r = await app.AdminClient().PostJson("/api/v1/admin/guides",
            new { topic, position, title_en = titleEn, title_ru = titleRu, body_en = bodyEn, body_ru = bodyRu });
        Assert.Equal(201, (int)r.StatusCode);
    }

    private async Task<JsonNode> LastAsync(long chat) => JsonNode.Parse((await app.OutboxFor(chat)).Last(m => m.Method is "sendMessage" or "editMessageText").Payload)!;

    private static List<(string Text, string Data)> Buttons(JsonNode payload) =>
        payload["reply_markup"]?["inline_keyboard"]?.AsArray().SelectMany(r => r!.AsArray())
            .Select(b => (b!["text"]!.GetValue<string>(), b["callback_data"]!.GetValue<string>())).ToList() ?? [];

    [Fact]
    public async Task Help_keeps_the_command_list_and_adds_the_guides_as_buttons_in_the_users_language()
    {
        var buying = NewTopic("buying");
        var wallet = NewTopic("wallet");
        await CreateAsync(buying, "🛒 How to buy", "🛒 Как купить", "Buy **now**", "Купите **сейчас**", position: -20);
        await CreateAsync(wallet, "👛 Wallet", null, "Top up", null, position: -10);

        var en = Updates.NewUserId();
        await app.Send(Updates.Text(en, "/help"));
        var help = await LastAsync(en);
        Assert.Contains("/start", help["text"]!.GetValue<string>());
        Assert.Contains("/guide", help["text"]!.GetValue<string>());
        Assert.Contains("📖 <b>Guides</b>", help["text"]!.GetValue<string>());
        var buttons = Buttons(help);
        Assert.Contains(("🛒 How to buy", "guide:" + buying), buttons);
        Assert.Contains(("👛 Wallet", "guide:" + wallet), buttons);
        Assert.True(buttons.IndexOf(("🛒 How to buy", "guide:" + buying)) < buttons.IndexOf(("👛 Wallet", "guide:" + wallet)), "in position order");

        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(ru, "/help", lang: "ru"));
        var helpRu = await LastAsync(ru);
        Assert.Contains("📖 <b>Справка</b>", helpRu["text"]!.GetValue<string>());
        Assert.Contains(("🛒 Как купить", "guide:" + buying), Buttons(helpRu));
        Assert.Contains(("👛 Wallet", "guide:" + wallet), Buttons(helpRu)); // no Russian title: the English one
    }

    [Fact]
    public async Task Guide_topic_goes_straight_to_it_rendered_as_telegram_html_in_english_and_russian()
    {
        var topic = NewTopic("pay");
        await CreateAsync(topic, "Paying", "Оплата", "# Steps\n- Tap **Pay** <now>\n- See [terms](https://example.com/t)", "# Шаги\n- Нажмите **Оплатить**");

        var en = Updates.NewUserId();
        await app.Send(Updates.Text(en, $"/guide {topic}"));
        var text = (await LastAsync(en))["text"]!.GetValue<string>();
        Assert.Equal("📖 <b>Paying</b>\n\n<b>Steps</b>\n• Tap <b>Pay</b> &lt;now&gt;\n• See <a href=\"https://example.com/t\">terms</a>", text);
        Assert.Contains(("⬅️ All topics", "guide:"), Buttons(await LastAsync(en)));

        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(ru, $"/guide {topic.ToUpperInvariant()}", lang: "ru"));
        Assert.Equal("📖 <b>Оплата</b>\n\n<b>Шаги</b>\n• Нажмите <b>Оплатить</b>", (await LastAsync(ru))["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_topic_gets_a_friendly_message_listing_the_topics_with_their_buttons()
    {
        var topic = NewTopic("returns");
        await CreateAsync(topic, "Returns", null, "Within 14 days.", null);
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/guide <refunds>"));
        var reply = await LastAsync(user);
        var text = reply["text"]!.GetValue<string>();
        Assert.StartsWith("There is no guide “&lt;refunds&gt;”. Topics: ", text);
        Assert.Contains(topic, text);
        Assert.Contains(("Returns", "guide:" + topic), Buttons(reply));
    }

    [Fact]
    public async Task Tapping_a_topic_shows_it_in_place_and_all_topics_goes_back_to_the_menu()
    {
        var topic = NewTopic("delivery");
        await CreateAsync(topic, "Delivery", null, "Keys arrive _at once_.", null);
        var user = Updates.NewUserId();
        await app.Send(Updates.Callback(user, "guide:" + topic, messageId: 77));
        var edit = JsonNode.Parse((await app.OutboxFor(user)).Last(m => m.Method == "editMessageText").Payload)!;
        Assert.Equal(77, edit["message_id"]!.GetValue<int>());
        Assert.Equal("📖 <b>Delivery</b>\n\nKeys arrive <i>at once</i>.", edit["text"]!.GetValue<string>());

        await app.Send(Updates.Callback(user, "guide:", messageId: 77));
        var menu = JsonNode.Parse((await app.OutboxFor(user)).Last(m => m.Method == "editMessageText").Payload)!;
        Assert.StartsWith("📖 <b>Guides</b>", menu["text"]!.GetValue<string>());
        Assert.Contains(("Delivery", "guide:" + topic), Buttons(menu));
    }

    [Fact]
    public async Task Operators_create_read_rename_and_delete_guides_and_a_taken_topic_is_a_409()
    {
        var client = app.AdminClient();
        var topic = NewTopic("faq");
        await CreateAsync(topic, "FAQ", "ЧаВо", "Ask *anything*", "Спрашивайте");
        await (await client.PostJson("/api/v1/admin/guides", new { topic, title_en = "Again", body_en = "x" })).AssertProblem(409, "guide_exists");

        var got = await (await client.GetAsync($"/api/v1/admin/guides/{topic}")).ReadJson();
        Assert.Equal("Ask <i>anything</i>", got.GetProperty("html_en").GetString());
        Assert.Equal("Спрашивайте", got.GetProperty("body_ru").GetString());

        var renamed = topic + "-new";
        var put = await client.PutAsync($"/api/v1/admin/guides/{topic}", JsonContent.Create(new { topic = renamed, title_en = "FAQ 2", body_en = "More" }, options: HttpExtensions.Json));
        Assert.Equal(200, (int)put.StatusCode);
        await (await client.GetAsync($"/api/v1/admin/guides/{topic}")).AssertProblem(404, "guide_not_found");
        var list = await (await client.GetAsync("/api/v1/admin/guides")).ReadJson();
        Assert.Contains(list.EnumerateArray(), g => g.GetProperty("topic").GetString() == renamed && g.GetProperty("title_en").GetString() == "FAQ 2");

        Assert.Equal(204, (int)(await client.DeleteAsync($"/api/v1/admin/guides/{renamed}")).StatusCode);
        await (await client.DeleteAsync($"/api/v1/admin/guides/{renamed}")).AssertProblem(404, "guide_not_found");
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, $"/guide {renamed}"));
        Assert.StartsWith("There is no guide", (await LastAsync(user))["text"]!.GetValue<string>());
        Assert.Equal(401, (int)(await app.CreateClient().GetAsync("/api/v1/admin/guides")).StatusCode);
    }

    [Theory]
    [InlineData("""{"title_en":"T","body_en":"B"}""", "topic_required")]
    [InlineData("""{"topic":"Has Space","title_en":"T","body_en":"B"}""", "invalid_topic")]
    [InlineData("""{"topic":"ok","body_en":"B"}""", "title_required")]
    [InlineData("""{"topic":"ok","title_en":"T"}""", "body_required")]
    [InlineData("""{"topic":"ok","title_en":"0123456789012345678901234567890123456789012345678901234567890123456789","body_en":"B"}""", "title_too_long")]
    public async Task Bad_guides_are_400s_with_a_stable_code(string body, string code) =>
        await (await app.AdminClient().PostRaw("/api/v1/admin/guides", body)).AssertProblem(400, code);

    [Fact]
    public async Task A_body_longer_than_one_message_is_refused() =>
        await (await app.AdminClient().PostJson("/api/v1/admin/guides", new { topic = NewTopic("long"), title_en = "Long", body_en = new string('a', 4500) }))
            .AssertProblem(400, "body_too_long");

    [Theory]
    [InlineData("plain <b> & \"q\"", "plain &lt;b&gt; &amp; &quot;q&quot;")]
    [InlineData("**bold** and *it* and _it2_ and `a*b*c <x>`", "<b>bold</b> and <i>it</i> and <i>it2</i> and <code>a*b*c &lt;x&gt;</code>")]
    [InlineData("snake_case_name stays", "snake_case_name stays")]
    [InlineData("[Docs](https://example.com/a?b=1&c=2) [bad](javascript:x)", "<a href=\"https://example.com/a?b=1&amp;c=2\">Docs</a> [bad](javascript:x)")]
    [InlineData("# Title\n- one\n* two", "<b>Title</b>\n• one\n• two")]
    public void Markup_becomes_safe_telegram_html(string markup, string html) => Assert.Equal(html, GuideMarkup.ToHtml(markup));

    [Fact]
    public async Task The_endpoints_are_in_the_OpenAPI_document()
    {
        var doc = await (await app.CreateClient().GetAsync("/openapi/v1.json")).Content.ReadAsStringAsync();
        Assert.Contains("\"/api/v1/admin/guides\"", doc);
        Assert.Contains("\"/api/v1/admin/guides/{topic}\"", doc);
        foreach (var op in new[] { "ListGuides", "GetGuide", "CreateGuide", "UpdateGuide", "DeleteGuide" })
            Assert.Contains($"\"{op}\"", doc);
    }
}
