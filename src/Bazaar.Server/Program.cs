using Bazaar.Server;
using Bazaar.Server.Data;
using Bazaar.Server.Giveaways;

// `verify-draw <file-or-url>` recomputes a published draw's winners without starting the server.
if (args is ["verify-draw", .. var rest]) return await VerifyDrawCommand.RunAsync(rest, Console.Out);

try
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Services.AddBazaar(builder.Configuration, builder.Environment);

    var app = builder.Build();
    app.UseBazaar();
    app.Run();
    return 0;
}
catch (StartupError e)
{
    Console.Error.WriteLine("bazaar: cannot start: " + e.Message);
    return 2;
}

/// <summary>Entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
