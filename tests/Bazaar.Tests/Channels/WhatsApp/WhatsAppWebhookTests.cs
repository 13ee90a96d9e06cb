using System.Net;
using Bazaar.Server.Channels;
using Bazaar.Server.Data;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Channels.WhatsApp;

public sealed class WhatsAppWebhookTests(WhatsAppAppFactory factory) : IClassFixture<WhatsAppAppFactory>
{
    private static int _n;
    private static string NewNumber() => $"1650555{Interlocked.Increment(ref _n):D4}";

    private Task<int> InboundCount(string from) =>
        factory.WithDb(db => db.InboundUpdates.CountAsync(u => u.Channel == ChatChannel.WhatsApp && u.ChatId == from));

    [Fact]
    public async Task The_verification_handshake_answers_the_challenge_only_for_the_right_token()
    {
        var c = factory.CreateClient();
        var ok = await c.GetAsync($"/whatsapp/webhook?hub.mode=subscribe&hub.verify_token={WhatsAppAppFactory.VerifyToken}&hub.challenge=1158201444");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("text/plain", ok.Content.Headers.ContentType!.MediaType);
        Assert.Equal("1158201444", await ok.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, (await c.GetAsync("/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await c.GetAsync($"/whatsapp/webhook?hub.mode=unsubscribe&hub.verify_token={WhatsAppAppFactory.VerifyToken}&hub.challenge=1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await c.GetAsync("/whatsapp/webhook")).StatusCode);
    }

    [Fact]
    public async Task Only_a_correctly_signed_body_is_accepted()
    {
        var from = NewNumber();
        var body = WhatsAppTestData.Text(from, "hello there").ToJsonString();

        var missing = await factory.PostWebhook(body, null);
        var wrongSecret = await factory.PostWebhook(body, WhatsAppAppFactory.Sign(body, "another-secret"));
        var tampered = await factory.PostWebhook(body.Replace("hello there", "hello thera"), WhatsAppAppFactory.Sign(body));
        var garbage = await factory.PostWebhook(body, "sha256=zz");
        var noPrefix = await factory.PostWebhook(body, WhatsAppAppFactory.Sign(body)[7..]);

        foreach (var r in new[] { missing, wrongSecret, tampered, garbage, noPrefix }) await r.AssertProblem(401, "signature_invalid");
        Assert.Equal(0, await InboundCount(from));
        // A bad body with a good signature is parsed only then, and refused as JSON.
        await (await factory.PostWebhook("{not json", WhatsAppAppFactory.Sign("{not json"))).AssertProblem(400, "payload_invalid");

        var good = await factory.PostWebhook(body, WhatsAppAppFactory.Sign(body));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(1, await InboundCount(from));
    }

    [Fact]
    public async Task A_message_delivered_twice_and_at_once_is_handled_once()
    {
        var from = NewNumber();
        var body = WhatsAppTestData.Text(from, "raffles").ToJsonString();
        var sig = WhatsAppAppFactory.Sign(body);

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => factory.PostWebhook(body, sig))));
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(HttpStatusCode.OK, (await factory.PostWebhook(body, sig)).StatusCode);
        await factory.ProcessAll();

        Assert.Equal(1, await InboundCount(from));
        var inbound = await factory.WithDb(db => db.InboundUpdates.SingleAsync(u => u.Channel == ChatChannel.WhatsApp && u.ChatId == from));
        Assert.Equal("raffles", inbound.Command);
        Assert.Equal(Bazaar.Server.Conversations.UpdateStatus.Processed, inbound.Status);
        Assert.Equal(1, await factory.WithDb(db => db.Outbox.CountAsync(m => m.ChatId == from)));
        var user = await factory.WithDb(db => db.Users.SingleAsync(u => u.Channel == ChatChannel.WhatsApp && u.ExternalId == from));
        Assert.Equal("Sheena", user.FirstName);
    }

    [Fact]
    public async Task Status_callbacks_move_the_delivery_status_forward_and_keep_failures_with_their_reason()
    {
        var from = NewNumber();
        await factory.Deliver(WhatsAppTestData.Text(from, "menu"));
        var row = await factory.WithDb(db => db.Outbox.SingleAsync(m => m.ChatId == from));
        Assert.Equal(OutboxStatus.Sent, row.Status);
        Assert.StartsWith("wamid.out.", row.ExternalId);
        Assert.Equal("sent", row.DeliveryStatus);
        factory.TakeSent();

        async Task<string?> After(string status, int? error = null)
        {
            var body = WhatsAppTestData.Status(row.ExternalId!, status, from, error).ToJsonString();
            Assert.Equal(HttpStatusCode.OK, (await factory.PostWebhook(body, WhatsAppAppFactory.Sign(body))).StatusCode);
            return (await factory.WithDb(db => db.Outbox.SingleAsync(m => m.Id == row.Id))).DeliveryStatus;
        }

        Assert.Equal("delivered", await After("delivered"));
        Assert.Equal("read", await After("read"));
        Assert.Equal("read", await After("delivered")); // late and out of order: ignored
        Assert.Equal("failed", await After("failed", 131026));
        var failed = await factory.WithDb(db => db.Outbox.SingleAsync(m => m.Id == row.Id));
        Assert.Contains("131026", failed.LastError);
        // A status about a message we never sent changes nothing and is still acknowledged.
        var unknown = WhatsAppTestData.Status("wamid.unknown", "read", from).ToJsonString();
        Assert.Equal(HttpStatusCode.OK, (await factory.PostWebhook(unknown, WhatsAppAppFactory.Sign(unknown))).StatusCode);
    }

    [Fact]
    public async Task Replies_become_text_reply_buttons_and_lists_in_the_graph_format()
    {
        var from = NewNumber();
        await factory.Deliver(WhatsAppTestData.Text(from, "menu"));
        var menu = Assert.Single(factory.TakeSent());
        Assert.Equal("whatsapp", menu["messaging_product"]!.GetValue<string>());
        Assert.Equal(from, menu["to"]!.GetValue<string>());
        Assert.Equal("interactive", menu["type"]!.GetValue<string>());
        var choices = WhatsAppTestData.ChoicesOf(menu);
        Assert.Contains("raf:l", choices);
        Assert.InRange(choices.Count, 1, 10);
        Assert.DoesNotContain("<b>", WhatsAppTestData.TextOf(menu));

        await factory.Deliver(WhatsAppTestData.Text(from, "what is this?"));
        var help = Assert.Single(factory.TakeSent());
        Assert.Equal("text", help["type"]!.GetValue<string>());
    }
}
