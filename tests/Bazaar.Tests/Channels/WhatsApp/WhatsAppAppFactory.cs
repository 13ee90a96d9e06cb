using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bazaar.Server.Channels;
using Bazaar.Tests.Fakes;
using Bazaar.Tests.Infrastructure;
using Bazaar.Tests.Raffles;
using Microsoft.Extensions.DependencyInjection;

namespace Bazaar.Tests.Channels.WhatsApp;

/// <summary>The server with the WhatsApp channel on a fake Graph API; one template configured (payment confirmed).</summary>
public class WhatsAppAppFactory : RafflesAppFactory
{
    public const string AppSecret = "test-app-secret-5150";
    public const string VerifyToken = "verify-me-123";
    public const string PhoneId = "106540352242922";
    public FakeGraphApi Graph { get; private set; } = null!;

    public WhatsAppAppFactory()
    {
        With("WhatsApp:AppSecret", AppSecret);
        With("WhatsApp:VerifyToken", VerifyToken);
        With("WhatsApp:PhoneNumberId", PhoneId);
        With("WhatsApp:AccessToken", FakeGraphApi.Token);
        With("WhatsApp:Templates:raffle_payment_confirmed:Name", "payment_confirmed");
        With("WhatsApp:Templates:raffle_payment_confirmed:Language", "en_US");
    }

    public override async Task InitializeAsync()
    {
        Graph = await FakeGraphApi.StartAsync();
        With("WhatsApp:ApiBaseUrl", Graph.BaseUrl);
        await base.InitializeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Graph?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public static string Sign(string body, string secret = AppSecret) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body)));

    public Task<HttpResponseMessage> PostWebhook(string body, string? signature)
    {
        var req = new HttpRequestMessage(HttpMethod.Post, "/whatsapp/webhook") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (signature is not null) req.Headers.Add("X-Hub-Signature-256", signature);
        return CreateClient().SendAsync(req);
    }

    /// <summary>Posts a signed webhook, handles it, and delivers the outbox to the fake Graph API.</summary>
    public async Task Deliver(JsonObject payload)
    {
        var body = payload.ToJsonString();
        var r = await PostWebhook(body, Sign(body));
        Assert.Equal(200, (int)r.StatusCode);
        await ProcessAll();
        await SendOutbox();
    }

    public async Task SendOutbox()
    {
        var sender = Services.GetRequiredService<OutboxSender>();
        // Past the per-chat pacing (one message a second), which runs on the fake clock.
        for (var i = 0; i < 20; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(3));
            if ((await sender.RunOnceAsync(default)).Claimed == 0) break;
        }
    }

    /// <summary>What the fake Graph API got since the last call.</summary>
    public List<JsonObject> TakeSent()
    {
        var list = new List<JsonObject>();
        while (Graph.Sent.TryDequeue(out var m)) list.Add(m);
        return list;
    }
}

/// <summary>Cloud API webhook payloads in the real format (entry → changes → value → contacts/messages/statuses).</summary>
public static class WhatsAppTestData
{
    private static int _n;

    public static string NewWamid() => $"wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQz{Interlocked.Increment(ref _n):D8}";

    private static JsonObject Envelope(JsonObject value) => new()
    {
        ["object"] = "whatsapp_business_account",
        ["entry"] = new JsonArray(new JsonObject
        {
            ["id"] = "102290129340398",
            ["changes"] = new JsonArray(new JsonObject { ["value"] = value, ["field"] = "messages" }),
        }),
    };

    private static JsonObject Value() => new()
    {
        ["messaging_product"] = "whatsapp",
        ["metadata"] = new JsonObject { ["display_phone_number"] = "15550783881", ["phone_number_id"] = WhatsAppAppFactory.PhoneId },
    };

    public static JsonObject Message(string from, string name, JsonObject message, string? wamid = null)
    {
        message["from"] = from;
        message["id"] = wamid ?? NewWamid();
        message["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString();
        var v = Value();
        v["contacts"] = new JsonArray(new JsonObject { ["profile"] = new JsonObject { ["name"] = name }, ["wa_id"] = from });
        v["messages"] = new JsonArray(message);
        return Envelope(v);
    }

    public static JsonObject Text(string from, string body, string? wamid = null, string name = "Sheena") =>
        Message(from, name, new JsonObject { ["type"] = "text", ["text"] = new JsonObject { ["body"] = body } }, wamid);

    public static JsonObject ButtonReply(string from, string id, string title = "OK") =>
        Message(from, "Sheena", new JsonObject
        {
            ["type"] = "interactive",
            ["interactive"] = new JsonObject { ["type"] = "button_reply", ["button_reply"] = new JsonObject { ["id"] = id, ["title"] = title } },
        });

    public static JsonObject ListReply(string from, string id, string title = "Row") =>
        Message(from, "Sheena", new JsonObject
        {
            ["type"] = "interactive",
            ["interactive"] = new JsonObject { ["type"] = "list_reply", ["list_reply"] = new JsonObject { ["id"] = id, ["title"] = title, ["description"] = "" } },
        });

    public static JsonObject Image(string from, string mediaId) =>
        Message(from, "Sheena", new JsonObject
        {
            ["type"] = "image",
            ["image"] = new JsonObject { ["caption"] = "receipt", ["mime_type"] = "image/jpeg", ["sha256"] = "abc", ["id"] = mediaId },
        });

    public static JsonObject Status(string wamid, string status, string recipient, int? errorCode = null)
    {
        var s = new JsonObject
        {
            ["id"] = wamid, ["status"] = status, ["timestamp"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(), ["recipient_id"] = recipient,
        };
        if (errorCode is { } c)
            s["errors"] = new JsonArray(new JsonObject { ["code"] = c, ["title"] = "Message undeliverable", ["error_data"] = new JsonObject { ["details"] = "Message Undeliverable." } });
        var v = Value();
        v["statuses"] = new JsonArray(s);
        return Envelope(v);
    }

    /// <summary>The text a Graph API message shows: a text body or an interactive body.</summary>
    public static string TextOf(JsonObject m) =>
        m["text"]?["body"]?.GetValue<string>() ?? m["interactive"]?["body"]?["text"]?.GetValue<string>() ?? "";

    /// <summary>The ids of an interactive message's reply buttons or list rows.</summary>
    public static List<string> ChoicesOf(JsonObject m)
    {
        var i = m["interactive"];
        if (i is null) return [];
        if (i["type"]!.GetValue<string>() == "button")
            return i["action"]!["buttons"]!.AsArray().Select(b => b!["reply"]!["id"]!.GetValue<string>()).ToList();
        return i["action"]!["sections"]!.AsArray().SelectMany(s => s!["rows"]!.AsArray()).Select(r => r!["id"]!.GetValue<string>()).ToList();
    }
}
