using System.Text.Json.Nodes;
using Bazaar.Server.Conversations;
using Bazaar.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Bazaar.Tests.Conversations;

public sealed class RoutingTests(BotAppFactory app) : IClassFixture<BotAppFactory>
{
    [Fact]
    public async Task A_command_with_arguments_reaches_its_handler()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/echo hello world"));
        Assert.Equal(["echo:hello world"], await app.TextsFor(user));
    }

    [Fact]
    public async Task A_command_addressed_to_this_bot_by_name_is_handled_and_one_for_another_bot_is_ignored()
    {
        var user = Updates.NewUserId();
        var group = -Updates.NewUserId();
        var mine = Updates.Text(user, "/echo@bazaar_test_bot mine", chatId: group);
        var other = Updates.Text(user, "/echo@other_bot theirs", chatId: group);
        await app.Send(mine, other);
        Assert.Equal(["echo:mine"], await app.TextsFor(group));
        Assert.Equal(UpdateStatus.Ignored, (await app.Inbound(other["update_id"]!.GetValue<int>())).Status);
    }

    [Fact]
    public async Task A_deep_link_goes_to_the_payload_handler_and_plain_start_greets_with_a_button()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/start tst_abc123"));
        Assert.Equal(["referred:tst_abc123"], await app.TextsFor(user));

        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(ru, "/start", lang: "ru-RU", name: "Иван"));
        var greeting = (await app.OutboxFor(ru)).Single();
        var payload = JsonNode.Parse(greeting.Payload)!;
        Assert.StartsWith("Привет, Иван!", payload["text"]!.GetValue<string>());
        Assert.Equal("conv:help", payload["reply_markup"]!["inline_keyboard"]![0]![0]!["callback_data"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_button_press_goes_to_the_feature_owning_the_prefix_and_an_unknown_one_is_answered()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Callback(user, "test:buy:7", messageId: 55), Updates.Callback(user, "gone:1"));
        var rows = await app.OutboxFor(user);
        Assert.Equal(["answerCallbackQuery", "editMessageText", "answerCallbackQuery"], rows.Select(r => r.Method));
        var edit = JsonNode.Parse(rows[1].Payload)!;
        Assert.Equal("callback:test:buy:7", edit["text"]!.GetValue<string>());
        Assert.Equal(55, edit["message_id"]!.GetValue<int>());
        Assert.Equal("This button no longer works.", JsonNode.Parse(rows[2].Payload)!["text"]!.GetValue<string>());
        Assert.True(rows[0].Urgent);
    }

    [Fact]
    public async Task Text_and_media_go_to_the_chats_current_step_with_its_data()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/ask colour"), Updates.Text(user, "blue"));
        await app.Send(Updates.Text(user, "/ask proof"), Updates.Photo(user, "my receipt"));
        await app.Send(Updates.Text(user, "/ask file"), Updates.Document(user));
        Assert.Equal(
            ["What is your answer?", "answer:colour:text:blue", "What is your answer?", "answer:proof:photo:my receipt",
             "What is your answer?", "answer:file:document:"],
            await app.TextsFor(user));
    }

    [Fact]
    public async Task Text_without_a_step_gets_a_hint()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "hello?"));
        Assert.Equal(["I didn't understand that. Send /help to see what I can do."], await app.TextsFor(user));
    }

    [Fact]
    public async Task An_unknown_command_gets_a_reply_listing_the_available_commands()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/frobnicate now"));
        var text = (await app.TextsFor(user)).Single();
        Assert.StartsWith("I don't know the command /frobnicate.", text);
        Assert.Contains("/help — What I can do", text);
        Assert.Contains("/echo — Echo back", text);
        Assert.DoesNotContain("/secret", text);
    }

    [Fact]
    public async Task Help_lists_commands_with_descriptions_in_the_users_language()
    {
        var en = Updates.NewUserId();
        var ru = Updates.NewUserId();
        await app.Send(Updates.Text(en, "/help"), Updates.Text(ru, "/help", lang: "ru"));
        var english = (await app.TextsFor(en)).Single();
        Assert.Contains("/start — Start over", english);
        Assert.Contains("/ask — Ask a question", english);
        var russian = (await app.TextsFor(ru)).Single();
        Assert.Contains("/help — Что я умею", russian);
        Assert.Contains("/ask — Задать вопрос", russian);
    }

    [Fact]
    public async Task Payments_are_routed_by_invoice_payload_prefix()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.PreCheckout(user, "inv:order-9"), Updates.PreCheckout(user, "zzz:1"), Updates.SuccessfulPayment(user, "inv:order-9"));
        var rows = await app.OutboxFor(user);
        Assert.Equal(["answerPreCheckoutQuery", "answerPreCheckoutQuery", "sendMessage"], rows.Select(r => r.Method));
        Assert.True(JsonNode.Parse(rows[0].Payload)!["ok"]!.GetValue<bool>());
        Assert.False(JsonNode.Parse(rows[1].Payload)!["ok"]!.GetValue<bool>());
        Assert.Equal("paid:inv:order-9", JsonNode.Parse(rows[2].Payload)!["text"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_chat_user_is_created_and_updated_from_every_update()
    {
        var user = Updates.NewUserId();
        await app.Send(Updates.Text(user, "/echo 1", lang: "en", name: "Bob", username: "bob"));
        await app.Send(Updates.Text(user, "/echo 2", lang: "ru-RU", name: "Борис", username: "boris"));
        var u = await app.WithDb(db => db.Users.AsNoTracking().SingleAsync(x => x.ExternalId == user.ToString()));
        Assert.Equal("telegram", u.Channel);
        Assert.Equal("Борис", u.FirstName);
        Assert.Equal("boris", u.Username);
        Assert.Equal("ru", u.LanguageCode);
        var outbox = await app.OutboxFor(user);
        Assert.All(outbox, m => Assert.Equal(u.Id, m.UserId));
        Assert.All(outbox, m => Assert.NotNull(m.InboundUpdateId));
    }

    [Fact]
    public async Task A_failing_handler_leaves_nothing_behind_is_logged_failed_and_can_be_retried()
    {
        var user = Updates.NewUserId();
        var update = Updates.Text(user, "/boom");
        var bystander = Updates.NewUserId();
        app.Switch.Fail = true;
        // Both run in one transaction: the failure is rolled back to its savepoint, the next update is unaffected.
        try { await app.Send(update, Updates.Text(bystander, "/echo unaffected")); }
        finally { app.Switch.Fail = false; }
        Assert.Equal(["echo:unaffected"], await app.TextsFor(bystander));

        var row = await app.Inbound(update["update_id"]!.GetValue<int>());
        Assert.Equal(UpdateStatus.Failed, row.Status);
        Assert.Contains("handler exploded", row.Error);
        Assert.Empty(await app.OutboxFor(user));
        Assert.Equal(0, await app.WithDb(db => db.ConversationStates.CountAsync(s => s.ChatId == user.ToString())));

        var admin = app.AdminClient();
        var failed = await (await admin.GetAsync($"/api/v1/admin/updates?status=Failed&userId={user}")).ReadJson();
        Assert.Equal(row.Id, failed.GetProperty("items")[0].GetProperty("id").GetInt64());

        Assert.Equal(202, (int)(await admin.PostAsync($"/api/v1/admin/updates/{row.Id}/retry", null)).StatusCode);
        await app.ProcessAll();
        Assert.Equal(UpdateStatus.Processed, (await app.Inbound(row.UpdateId)).Status);
        Assert.Equal(["this must never be sent"], await app.TextsFor(user));
        Assert.Equal(1, await app.WithDb(db => db.ConversationStates.CountAsync(s => s.ChatId == user.ToString())));

        await (await admin.PostAsync($"/api/v1/admin/updates/{row.Id}/retry", null)).AssertProblem(409, "update_not_failed");
        await (await admin.PostAsync("/api/v1/admin/updates/999999999/retry", null)).AssertProblem(404, "update_not_found");
        await (await app.CreateClient().GetAsync("/api/v1/admin/updates")).AssertProblem(401);
    }

    [Fact]
    public async Task Updates_of_one_chat_are_processed_in_update_id_order_one_at_a_time()
    {
        var user = Updates.NewUserId();
        var first = Updates.NextUpdateId();
        var second = Updates.NextUpdateId();
        // Delivered out of order: the later one arrives first.
        await app.Post(Updates.Text(user, "/echo 2", updateId: second));
        await app.Post(Updates.Text(user, "/echo 1", updateId: first));
        await app.ProcessAll();
        Assert.Equal(["echo:1", "echo:2"], await app.TextsFor(user));
    }
}
