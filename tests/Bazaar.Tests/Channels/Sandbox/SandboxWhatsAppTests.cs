using System.Text.Json;
using System.Text.Json.Nodes;
using Bazaar.Server.Data;
using Bazaar.Server.Raffles;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Raffles;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels.Sandbox;

/// <summary>The raffles server with the sandbox on and two online methods (so the payment step has 3 reply buttons).</summary>
public sealed class SandboxWhatsAppFactory : RafflesAppFactory
{
    public SandboxWhatsAppFactory()
    {
        With("Sandbox:Enabled", "true");
        With("Payments:PublicUrl", "https://shop.example");
        With("Payments:Stripe:SecretKey", "sk_test_sandbox");
        With("Payments:Stripe:WebhookSecret", "whsec_sandbox_0123456789");
        With("Payments:Robokassa:MerchantLogin", "sandbox-shop");
        With("Payments:Robokassa:Password1", "sandbox-one");
        With("Payments:Robokassa:Password2", "sandbox-two");
        With("Payments:Robokassa:IsTest", "true");
    }
}

/// <summary>The sandbox playing a WhatsApp contact: Meta's webhook format in, the WhatsApp transport's bodies out.</summary>
public sealed class SandboxWhatsAppTests(SandboxWhatsAppFactory app) : IClassFixture<SandboxWhatsAppFactory>
{
    private static long _next = Random.Shared.NextInt64(1_000_000, 9_000_000);

    private static JsonObject Payload(string waId, JsonObject message)
    {
        message["from"] = waId;
        message["id"] = "wamid.sandbox-" + Guid.NewGuid().ToString("N");
        message["timestamp"] = "1764331200";
        return new JsonObject
        {
            ["object"] = "whatsapp_business_account",
            ["entry"] = new JsonArray(new JsonObject
            {
                ["id"] = "sandbox",
                ["changes"] = new JsonArray(new JsonObject
                {
                    ["field"] = "messages",
                    ["value"] = new JsonObject
                    {
                        ["messaging_product"] = "whatsapp",
                        ["metadata"] = new JsonObject { ["display_phone_number"] = "sandbox", ["phone_number_id"] = "sandbox" },
                        ["contacts"] = new JsonArray(new JsonObject { ["profile"] = new JsonObject { ["name"] = "María" }, ["wa_id"] = waId }),
                        ["messages"] = new JsonArray(message),
                    },
                }),
            }),
        };
    }

    private async Task<List<JsonElement>> Send(string waId, JsonObject message)
    {
        var r = await app.CreateClient().PostRaw("/api/v1/sandbox/whatsapp", Payload(waId, message).ToJsonString());
        var body = await r.ReadJson();
        Assert.True(200 == (int)r.StatusCode, body.ToString());
        Assert.Equal("Processed", body.GetProperty("status").GetString());
        return body.GetProperty("messages").EnumerateArray().ToList();
    }

    private Task<List<JsonElement>> Say(string waId, string text) => Send(waId, new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["body"] = text } });

    private Task<List<JsonElement>> Press(string waId, string id) => Send(waId, new JsonObject
    {
        ["type"] = "interactive", ["interactive"] = new JsonObject { ["type"] = "button_reply", ["button_reply"] = new JsonObject { ["id"] = id, ["title"] = "x" } },
    });

    private Task<List<JsonElement>> Pick(string waId, string id) => Send(waId, new JsonObject
    {
        ["type"] = "interactive", ["interactive"] = new JsonObject { ["type"] = "list_reply", ["list_reply"] = new JsonObject { ["id"] = id, ["title"] = "x" } },
    });

    /// <summary>The Graph API body of the last reply that has one.</summary>
    private static JsonElement Wa(List<JsonElement> replies) => replies.Last(m => m.GetProperty("whatsapp").ValueKind == JsonValueKind.Object).GetProperty("whatsapp");

    private static string BodyText(JsonElement wa) =>
        wa.GetProperty("type").GetString() == "text" ? wa.GetProperty("text").GetProperty("body").GetString()! : wa.GetProperty("interactive").GetProperty("body").GetProperty("text").GetString()!;

    private static List<string> ReplyButtonIds(JsonElement wa)
    {
        Assert.Equal("button", wa.GetProperty("interactive").GetProperty("type").GetString());
        return wa.GetProperty("interactive").GetProperty("action").GetProperty("buttons").EnumerateArray()
            .Select(b => b.GetProperty("reply").GetProperty("id").GetString()!).ToList();
    }

    [Fact]
    public async Task A_sandbox_WhatsApp_contact_buys_raffle_tickets_with_lists_and_reply_buttons_and_gets_the_confirmation()
    {
        var raffles = new List<Raffle>();
        for (var i = 0; i < 4; i++) raffles.Add(await RaffleTestData.ActiveAsync(app, 1, 100, price: 1_00));
        var raffle = raffles[0];
        var waId = "34" + Interlocked.Increment(ref _next).ToString() + "1";

        // More than 3 raffles: a list (at most 10 rows), each row a raffle.
        var list = Wa(await Say(waId, "raffles"));
        Assert.Equal("interactive", list.GetProperty("type").GetString());
        Assert.Equal("list", list.GetProperty("interactive").GetProperty("type").GetString());
        var rows = list.GetProperty("interactive").GetProperty("action").GetProperty("sections")[0].GetProperty("rows").EnumerateArray().ToList();
        Assert.InRange(rows.Count, 4, 10);
        Assert.All(rows, r => Assert.True(r.GetProperty("title").GetString()!.Length <= 24));
        Assert.Contains(rows, r => r.GetProperty("id").GetString() == $"raf:v:{raffle.Id}");
        Assert.Contains("*Rifas*", BodyText(list)); // Spanish from +34, HTML bold as WhatsApp's

        // The card has no number grid on WhatsApp: two reply buttons (random ×1, ×3) and typing hints.
        var card = Wa(await Pick(waId, $"raf:v:{raffle.Id}"));
        Assert.Equal([$"raf:rnd:{raffle.Id}:1", $"raf:rnd:{raffle.Id}:3"], ReplyButtonIds(card));

        var reserved = Wa(await Say(waId, "5, 12"));
        var order = await app.WithDb(db => db.RaffleOrders.AsNoTracking().SingleAsync(o => o.RaffleId == raffle.Id && o.Numbers == "5,12"));
        Assert.Equal([$"raf:ok:{order.Id}", $"raf:x:{order.Id}"], ReplyButtonIds(reserved));

        // The payment step: Pay online (card, Robokassa; no Stars on WhatsApp) and cancel, 3 reply buttons at most.
        var pay = Wa(await Press(waId, $"raf:ok:{order.Id}"));
        Assert.Equal([$"raf:p:{order.Id}:stripe", $"raf:p:{order.Id}:robokassa", $"raf:x:{order.Id}"], ReplyButtonIds(pay));
        Assert.Contains("comprobante", BodyText(pay));

        // WhatsApp has no link buttons: the Robokassa link is in the text.
        var link = Wa(await Press(waId, $"raf:p:{order.Id}:robokassa"));
        Assert.Equal("text", link.GetProperty("type").GetString());
        Assert.Contains("https://auth.robokassa.ru/Merchant/Index.aspx?", BodyText(link));

        // Or a photo of the receipt, and the operator confirms.
        var proof = await Send(waId, new JsonObject { ["type"] = "image", ["image"] = new JsonObject { ["id"] = "sandbox-image-1", ["mime_type"] = "image/jpeg" } });
        Assert.Contains("comprobante", BodyText(Wa(proof)));
        Assert.Equal("proof", (await RaffleTestData.OrderAsync(app, order.Id)).PaidWith);
        Assert.Equal(200, (int)(await app.AdminClient().PostAsync($"/api/v1/raffle-orders/{order.Id}/confirm-payment", null)).StatusCode);

        var later = await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={waId}&channel=sandbox_whatsapp")).ReadJson();
        var confirmed = Wa(later.EnumerateArray().ToList());
        Assert.Contains("Pago confirmado", BodyText(confirmed));
        Assert.Contains("*005, 012*", BodyText(confirmed));
        var user = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(u => u.ExternalId == waId));
        Assert.Equal((ChatChannel.SandboxWhatsApp, "es"), (user.Channel, user.LanguageCode));
        // The same contact's Telegram-sandbox listing is a different chat.
        Assert.Empty((await (await app.CreateClient().GetAsync($"/api/v1/sandbox/messages?chatId={waId}")).ReadJson()).EnumerateArray());
    }

    [Fact]
    public async Task A_sandbox_WhatsApp_payload_must_be_one_sandbox_message_and_the_channel_must_be_a_sandbox_one()
    {
        var client = app.CreateClient();
        var none = new JsonObject { ["object"] = "whatsapp_business_account", ["entry"] = new JsonArray() };
        await (await client.PostRaw("/api/v1/sandbox/whatsapp", none.ToJsonString())).AssertProblem(400, "message_count");
        var real = Payload("34600111222", new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["body"] = "hi" } });
        real["entry"]![0]!["changes"]![0]!["value"]!["messages"]![0]!["id"] = "wamid.HBgLMzQ2MDAxMTEyMjIVAgASGBQzQTdF";
        await (await client.PostRaw("/api/v1/sandbox/whatsapp", real.ToJsonString())).AssertProblem(400, "wamid_invalid");
        await (await client.PostRaw("/api/v1/sandbox/whatsapp", "{not json")).AssertProblem(400, "payload_invalid");
        await (await client.GetAsync("/api/v1/sandbox/messages?chatId=1&channel=whatsapp")).AssertProblem(400, "channel_invalid");
    }
}
