using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Server.Conversations;
using Bazaar.Server.Data;
using Bazaar.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels.Sandbox;

public sealed class SandboxAppFactory : BotAppFactory
{
    public SandboxAppFactory()
    {
        With("Sandbox:Enabled", "true");
        With("Shop:Currency", "USD");
        With("Payments:Manual:Instructions:Bank", "Transfer {amount} to IBAN PL61 1090 1014 0000 0712 1981 2874, title {reference}.");
    }
}

public sealed class SandboxTests(SandboxAppFactory app) : IClassFixture<SandboxAppFactory>
{
    private async Task<JsonElement> Post(object update)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/updates", JsonSerializer.Serialize(update));
        Assert.Equal(200, (int)r.StatusCode);
        return await r.ReadJson();
    }

    private static object Text(long user, string text) => JsonSerializer.Deserialize<object>(Updates.Text(user, text).ToJsonString())!;

    [Fact]
    public async Task Every_rate_limited_update_carries_a_note_for_the_page_not_just_the_first()
    {
        var user = Updates.NewUserId();
        for (var i = 0; i < 10; i++)
        {
            var ok = await Post(Text(user, "/help"));
            Assert.Equal("Processed", ok.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, ok.GetProperty("note").ValueKind);
        }
        // The 11th gets the one "slow down" reply, the 12th gets nothing from the bot: both are explained.
        foreach (var expectReply in new[] { true, false })
        {
            var limited = await Post(Text(user, "/help"));
            Assert.Equal("RateLimited", limited.GetProperty("status").GetString());
            Assert.Equal(expectReply ? 1 : 0, limited.GetProperty("messages").GetArrayLength());
            Assert.Contains("Rate-limited", limited.GetProperty("note").GetString());
            Assert.Contains("10 commands a minute", limited.GetProperty("note").GetString());
        }
    }

    [Fact]
    public async Task A_start_message_round_trips_through_the_pipeline_and_a_button_edits_the_reply_in_place()
    {
        var user = Updates.NewUserId();
        var reply = await Post(Text(user, "/start"));
        Assert.Equal("Processed", reply.GetProperty("status").GetString());
        var greeting = reply.GetProperty("messages").EnumerateArray().Single();
        Assert.Equal("sendMessage", greeting.GetProperty("method").GetString());
        Assert.StartsWith("Hello, Alice!", greeting.GetProperty("text").GetString());
        var messageId = greeting.GetProperty("messageId").GetInt32();
        var button = greeting.GetProperty("replyMarkup").GetProperty("inline_keyboard")[0][0];
        Assert.Equal("conv:help", button.GetProperty("callback_data").GetString());

        var row = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(m => m.Id == greeting.GetProperty("id").GetInt64()));
        Assert.Equal(ChatChannel.Sandbox, row.Channel);
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.Equal(messageId, JsonDocument.Parse(row.Result!).RootElement.GetProperty("message_id").GetInt32());
        var sandboxUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Id == row.UserId));
        Assert.Equal(ChatChannel.Sandbox, sandboxUser.Channel);

        var press = JsonSerializer.Deserialize<object>(Updates.Callback(user, "conv:help", messageId).ToJsonString())!;
        var pressed = (await Post(press)).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["answerCallbackQuery", "editMessageText"], pressed.Select(m => m.GetProperty("method").GetString()));
        Assert.Equal(messageId, pressed[1].GetProperty("messageId").GetInt32());
        Assert.StartsWith("Here is what I can do:", pressed[1].GetProperty("text").GetString());

        // Nothing went to Telegram.
        Assert.DoesNotContain(app.Bot.Calls, c => c.Method is "sendMessage" or "editMessageText" or "answerCallbackQuery");
    }

    [Fact]
    public async Task The_user_side_is_listed_from_the_stored_updates_without_button_presses_or_other_chats()
    {
        var user = Updates.NewUserId();
        await Post(Text(user, "/start"));
        await Post(Text(Updates.NewUserId(), "someone else"));
        await Post(Text(user, "hello <there>"));
        var said = await (await app.CreateClient().GetAsync($"/api/v1/sandbox/said?chatId={user}")).ReadJson();
        Assert.Equal(["/start", "hello <there>"], said.EnumerateArray().Select(x => x.GetProperty("text").GetString()!).ToArray());
        await (await app.CreateClient().GetAsync($"/api/v1/sandbox/said?chatId={user}&channel=telegram")).AssertProblem(400, "channel_invalid");
        var whatsapp = await (await app.CreateClient().GetAsync($"/api/v1/sandbox/said?chatId={user}&channel=sandbox_whatsapp")).ReadJson();
        Assert.Equal(0, whatsapp.GetArrayLength());
    }

    [Fact]
    public async Task Messages_enqueued_later_are_delivered_through_the_messages_listing()
    {
        var user = Updates.NewUserId();
        var first = (await Post(Text(user, "/help"))).GetProperty("messages")[0].GetProperty("id").GetInt64();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var outbox = scope.ServiceProvider.GetRequiredService<Outbox>();
            outbox.SendText(new ChatTarget(ChatChannel.Sandbox, user.ToString()), "Your order has shipped");
            await scope.ServiceProvider.GetRequiredService<BazaarDb>().SaveChangesAsync();
        }
        var later = await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={user}&after={first}")).ReadJson();
        var m = later.EnumerateArray().Single();
        Assert.Equal("Your order has shipped", m.GetProperty("text").GetString());
        var row = await app.WithDb(db => db.Outbox.AsNoTracking().SingleAsync(x => x.Id == m.GetProperty("id").GetInt64()));
        Assert.Equal(OutboxStatus.Sent, row.Status);
    }

    [Fact]
    public async Task A_bad_update_is_400_and_a_repeated_update_id_returns_the_same_replies()
    {
        await (await app.CreateClient().PostRaw("/api/v1/sandbox/updates", "{oops")).AssertProblem(400, "update_invalid");
        var user = Updates.NewUserId();
        var update = Text(user, "/echo twice");
        var a = await Post(update);
        var b = await Post(update);
        Assert.Equal(a.GetProperty("inboundId").GetInt64(), b.GetProperty("inboundId").GetInt64());
        Assert.Single(b.GetProperty("messages").EnumerateArray());
    }

    private static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    private async Task<long> Enqueue(Func<Outbox, OutboxMessage> send)
    {
        await using var scope = app.Services.CreateAsyncScope();
        var row = send(scope.ServiceProvider.GetRequiredService<Outbox>());
        await scope.ServiceProvider.GetRequiredService<BazaarDb>().SaveChangesAsync();
        return row.Id;
    }

    [Fact]
    public async Task The_files_endpoint_serves_the_bots_uploads_in_the_sandbox_only()
    {
        var user = Updates.NewUserId();
        var sandbox = new ChatTarget(ChatChannel.Sandbox, user.ToString());
        var photo = await Enqueue(o => o.SendPhoto(sandbox, "qr.png", Png, "Scan <b>me</b>"));
        var doc = await Enqueue(o => o.SendDocument(sandbox, "report.pdf", "%PDF-1.4 test"u8.ToArray()));
        var page = await Enqueue(o => o.SendDocument(sandbox, "evil.html", "<script>alert(1)</script>"u8.ToArray()));
        var telegram = await Enqueue(o => o.SendPhoto(new ChatTarget(ChatChannel.Telegram, user.ToString()), "qr.png", Png));
        Assert.True(await app.WithDb(db => db.OutboxAttachments.AnyAsync(a => a.OutboxMessageId == telegram)));

        var client = app.CreateClient();
        var r = await client.GetAsync($"/api/v1/sandbox/files/{photo}");
        Assert.Equal(200, (int)r.StatusCode);
        Assert.Equal("image/png", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Png, await r.Content.ReadAsByteArrayAsync());
        Assert.Null(r.Content.Headers.ContentDisposition);

        r = await client.GetAsync($"/api/v1/sandbox/files/{doc}");
        Assert.Equal("application/pdf", r.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", r.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("%PDF-1.4 test", await r.Content.ReadAsStringAsync());
        r = await client.GetAsync($"/api/v1/sandbox/files/{page}");
        Assert.Equal("attachment", r.Content.Headers.ContentDisposition?.DispositionType); // downloaded, never run as a page

        await (await client.GetAsync($"/api/v1/sandbox/files/{telegram}")).AssertProblem(404, "sandbox_file_not_found");
        await (await client.GetAsync("/api/v1/sandbox/files/987654321")).AssertProblem(404, "sandbox_file_not_found");

        // The page gets the file's address, the caption and what kind of message it is.
        var list = (await (await client.GetAsync($"/api/v1/sandbox/messages?chatId={user}")).ReadJson()).EnumerateArray().ToList();
        var p = list.Single(m => m.GetProperty("id").GetInt64() == photo);
        Assert.Equal("sendPhoto", p.GetProperty("method").GetString());
        Assert.True(p.GetProperty("photo").GetBoolean());
        Assert.False(p.GetProperty("document").GetBoolean());
        Assert.Equal($"/api/v1/sandbox/files/{photo}", p.GetProperty("file").GetString());
        Assert.Equal("Scan <b>me</b>", p.GetProperty("caption").GetString());
        Assert.Equal("Scan <b>me</b>", p.GetProperty("text").GetString());
        Assert.Equal("qr.png", p.GetProperty("fileName").GetString());
        var d = list.Single(m => m.GetProperty("id").GetInt64() == doc);
        Assert.True(d.GetProperty("document").GetBoolean());
        Assert.Equal("report.pdf", d.GetProperty("fileName").GetString());

        var openApi = await (await client.GetAsync("/openapi/v1.json")).ReadJson();
        var path = openApi.GetProperty("paths").GetProperty("/api/v1/sandbox/files/{outboxId}").GetProperty("get");
        Assert.Equal("SandboxFile", path.GetProperty("operationId").GetString());
    }

    [Fact]
    public async Task Photos_by_url_or_file_id_and_invoices_come_with_what_the_page_needs_to_show_them()
    {
        var user = Updates.NewUserId();
        var to = new ChatTarget(ChatChannel.Sandbox, user.ToString());
        var byUrl = await Enqueue(o => o.SendPhoto(to, "https://shop.example/pic.jpg", "From a URL"));
        var byId = await Enqueue(o => o.SendPhoto(to, "AgACAgIAAxkBAAIB"));
        var invoice = await Enqueue(o => o.Enqueue(to, new global::Telegram.Bot.Requests.SendInvoiceRequest
        {
            ChatId = user, Title = "Top-up", Description = "12.00 USD to your wallet", Payload = "inv:1", Currency = "XTR",
            Prices = [new global::Telegram.Bot.Types.Payments.LabeledPrice("Top-up", 600)],
        }));
        var list = (await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={user}")).ReadJson()).EnumerateArray()
            .ToDictionary(m => m.GetProperty("id").GetInt64());
        Assert.Equal("https://shop.example/pic.jpg", list[byUrl].GetProperty("file").GetString());
        Assert.True(list[byId].GetProperty("photo").GetBoolean());
        Assert.Equal(JsonValueKind.Null, list[byId].GetProperty("file").ValueKind);
        var card = list[invoice].GetProperty("invoice");
        Assert.Equal("Top-up", card.GetProperty("title").GetString());
        Assert.Equal("12.00 USD to your wallet", card.GetProperty("description").GetString());
        Assert.Equal("XTR", card.GetProperty("currency").GetString());
        Assert.Equal(600, card.GetProperty("totalAmount").GetInt64());
    }

    [Fact]
    public async Task A_photo_sent_through_the_sandbox_is_the_proof_of_a_manual_deposit()
    {
        var user = Updates.NewUserId();
        async Task<List<JsonElement>> Send(JsonObject update) => (await Post(JsonSerializer.Deserialize<object>(update.ToJsonString())!))
            .GetProperty("messages").EnumerateArray().Where(m => m.GetProperty("method").GetString() != "answerCallbackQuery").ToList();

        await Send(Updates.Text(user, "/wallet"));
        await Send(Updates.Callback(user, "wallet:deposit"));
        await Send(Updates.Callback(user, "wallet:deposit:manual_bank"));
        var asked = (await Send(Updates.Text(user, "25"))).Single().GetProperty("text").GetString();
        Assert.Contains("send a photo or a document", asked);
        var state = await app.WithDb(db => db.ConversationStates.AsNoTracking().SingleAsync(s => s.Channel == ChatChannel.Sandbox && s.ChatId == user.ToString()));
        Assert.Equal("deposit.proof", state.Step);

        // What the page posts: a PhotoSize array with synthetic ids, sizes and a caption.
        var photo = Updates.Photo(user, caption: "my transfer");
        photo["message"]!["photo"] = new JsonArray(new JsonObject
        {
            ["file_id"] = "sandbox-photo-0a1b2c", ["file_unique_id"] = "u0a1b2c", ["width"] = 640, ["height"] = 480, ["file_size"] = 1234,
        });
        var thanks = (await Send(photo)).Single(m => m.GetProperty("chatId").GetString() == user.ToString());
        Assert.StartsWith("📨 Thank you!", thanks.GetProperty("text").GetString());
        var sandboxUser = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.Channel == ChatChannel.Sandbox && u.ExternalId == user.ToString()));
        var payment = await app.WithDb(db => db.Payments.AsNoTracking().SingleAsync(p => p.UserId == sandboxUser.Id));
        Assert.Equal("sandbox-photo-0a1b2c", payment.ProofFileId);
    }

    [Fact]
    public async Task The_page_is_served_and_the_root_redirects_to_it()
    {
        var page = await app.CreateClient().GetAsync("/sandbox");
        Assert.Equal(200, (int)page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Bazaar chat sandbox", html);
        Assert.DoesNotContain("https://", html); // self-contained: no CDN
        Assert.Contains("User id 9000 is an admin in Development (try /deposits)", html);

        var root = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/");
        Assert.Equal("/sandbox", root.Headers.Location?.ToString());
    }
}

public sealed class SandboxDisabledTests(BotAppFactory app) : IClassFixture<BotAppFactory>
{
    [Fact]
    public async Task When_off_the_sandbox_routes_are_404_and_the_root_goes_to_the_api_docs()
    {
        await (await app.CreateClient().GetAsync("/sandbox")).AssertProblem(404, "sandbox_disabled");
        await (await app.CreateClient().PostRaw("/api/v1/sandbox/updates", Updates.Text(1, "/start").ToJsonString())).AssertProblem(404, "sandbox_disabled");
        await (await app.CreateClient().GetAsync("/api/v1/sandbox/messages?chatId=1")).AssertProblem(404, "sandbox_disabled");
        var root = await app.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false }).GetAsync("/");
        Assert.Equal("/api-docs", root.Headers.Location?.ToString());
    }
}
