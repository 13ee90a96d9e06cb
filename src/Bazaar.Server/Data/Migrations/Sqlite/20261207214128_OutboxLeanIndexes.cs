using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Bazaar.Server.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class OutboxLeanIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_Status_CreatedAt",
                table: "outbox");

            migrationBuilder.DropIndex(
                name: "IX_outbox_Status_NextAttemptAt",
                table: "outbox");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_CreatedAt",
                table: "outbox",
                column: "CreatedAt");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_PaidLane",
                table: "outbox",
                columns: new[] { "Status", "Id" },
                filter: "\"Lane\" = 'paid_broadcast'");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_outbox_CreatedAt",
                table: "outbox");

            migrationBuilder.DropIndex(
                name: "IX_outbox_PaidLane",
                table: "outbox");

            migrationBuilder.CreateIndex(
                name: "IX_outbox_Status_CreatedAt",
                table: "outbox",
                columns: new[] { "Status", "CreatedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_outbox_Status_NextAttemptAt",
                table: "outbox",
                columns: new[] { "Status", "NextAttemptAt" });
        }
    }
}
