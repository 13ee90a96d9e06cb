using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Bazaar.Tests.Operations;

public sealed class ShutdownTests : IAsyncLifetime
{
    private readonly BotAppFactory _app = new();

    public Task InitializeAsync() => _app.InitializeAsync();

    public async Task DisposeAsync() => await ((IAsyncLifetime)_app).DisposeAsync();

    [Fact]
    public async Task Once_stopping_the_webhook_answers_503_with_Retry_After_and_stores_nothing()
    {
        var before = Updates.Text(Updates.NewUserId(), "/start");
        await _app.Post(before);

        // The test host does not stop on this signal, so the route can be asked while "stopping".
        _app.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var update = Updates.Text(Updates.NewUserId(), "/start");
        var r = await _app.Webhook().PostRaw("/api/v1/telegram/webhook", update.ToJsonString());
        await r.AssertProblem(503, "shutting_down");
        Assert.Equal("5", r.Headers.RetryAfter?.ToString());
        var id = update["update_id"]!.GetValue<int>();
        Assert.Equal(0, await _app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UpdateId == id)));
        Assert.Equal(1, await _app.WithDb(db => db.InboundUpdates.CountAsync(u => u.UpdateId == before["update_id"]!.GetValue<int>())));
    }
}
