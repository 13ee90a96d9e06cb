using Bazaar.Server.Channels;
using Bazaar.Tests.Infrastructure;

namespace Bazaar.Tests.Channels;

public sealed class OutboxApiTests
{
    [Fact]
    public async Task Lists_the_outbox_by_status_and_chat_with_paging()
    {
        await using var h = await OutboxAppHost.StartAsync();
        h.Api.FailNextFor("7001", 400, "Bad Request: chat not found");
        var failed = (await h.Texts("7001", "nope")).Single();
        var sent = await h.Texts("7002", "a", "b", "c");
        await h.RunOnce();
        var admin = h.App.AdminClient();

        var page = await (await admin.GetAsync("/api/v1/admin/outbox?status=Failed&chat=7001")).ReadJson();
        Assert.Equal(1, page.GetProperty("total").GetInt32());
        var item = page.GetProperty("items")[0];
        Assert.Equal(failed, item.GetProperty("id").GetInt64());
        Assert.Equal("Failed", item.GetProperty("status").GetString());
        Assert.Contains("chat not found", item.GetProperty("lastError").GetString());

        var chat = await (await admin.GetAsync("/api/v1/admin/outbox?chat=7002&pageSize=2&page=2")).ReadJson();
        Assert.Equal(3, chat.GetProperty("total").GetInt32());
        Assert.Equal(sent[0], chat.GetProperty("items")[0].GetProperty("id").GetInt64()); // newest first

        await (await admin.GetAsync("/api/v1/admin/outbox?status=Lost")).AssertProblem(400, "invalid_status");
        Assert.Equal(401, (int)(await h.App.CreateClient().GetAsync("/api/v1/admin/outbox")).StatusCode);
    }

    [Fact]
    public async Task Retries_a_failed_message_only()
    {
        await using var h = await OutboxAppHost.StartAsync();
        h.Api.FailNextFor("7001", 400, "Bad Request: chat not found");
        var failed = (await h.Texts("7001", "try me")).Single();
        var sent = (await h.Texts("7002", "fine")).Single();
        await h.RunOnce();
        var admin = h.App.AdminClient();

        var retried = await admin.PostAsync($"/api/v1/admin/outbox/{failed}/retry", null);
        Assert.Equal(200, (int)retried.StatusCode);
        Assert.Equal("Pending", (await retried.ReadJson()).GetProperty("status").GetString());
        await (await admin.PostAsync($"/api/v1/admin/outbox/{failed}/retry", null)).AssertProblem(409, "outbox_not_failed");
        await (await admin.PostAsync($"/api/v1/admin/outbox/{sent}/retry", null)).AssertProblem(409, "outbox_not_failed");
        await (await admin.PostAsync("/api/v1/admin/outbox/999999/retry", null)).AssertProblem(404, "outbox_message_not_found");

        await h.RunOnce();
        Assert.Equal(["try me", "try me"], h.SentTexts("7001"));
        var row = await h.Row(failed);
        Assert.Equal(OutboxStatus.Sent, row.Status);
    }

    [Fact]
    public async Task The_outbox_endpoints_are_in_the_OpenAPI_document()
    {
        await using var h = await OutboxAppHost.StartAsync();
        var doc = await (await h.App.CreateClient().GetAsync("/openapi/v1.json")).ReadJson();
        var paths = doc.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v1/admin/outbox", out _));
        Assert.True(paths.TryGetProperty("/api/v1/admin/outbox/{id}/retry", out _));
    }
}
