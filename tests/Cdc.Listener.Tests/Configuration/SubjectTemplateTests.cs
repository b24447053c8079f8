using Cdc.Decoding;
using Cdc.Listener.Configuration;
using Cdc.Listener.Pipeline;

namespace Cdc.Listener.Tests.Configuration;

public sealed class SubjectTemplateTests
{
    private static readonly RelationInfo Orders = new(16384, "sales eu", "orders.v2", ReplicaIdentity.Default, []);

    [Fact]
    public void Without_a_template_subjects_keep_the_database_schema_table_layout()
    {
        var subjects = new SubjectMapper("cdc", "shop", SubjectTemplate.From("", includeOperation: false)).For(Orders);
        Assert.Equal("cdc.shop.sales_eu.orders_v2", subjects.Insert);
        Assert.Equal("cdc.shop.sales_eu.orders_v2", subjects.Delete);

        var withOperation = new SubjectMapper("cdc", "shop", SubjectTemplate.From(null, includeOperation: true)).For(Orders);
        Assert.Equal("cdc.shop.sales_eu.orders_v2.update", withOperation.Update);
        Assert.Equal("cdc.shop.sales_eu.orders_v2.read", withOperation.Read);
    }

    [Fact]
    public void A_template_routes_each_operation_and_makes_every_name_one_token()
    {
        var subjects = new SubjectMapper("cdc", "shop", SubjectTemplate.From("rows.{schema}.{table}.{operation}", includeOperation: false)).For(Orders);
        Assert.Equal("cdc.rows.sales_eu.orders_v2.insert", subjects.Insert);
        Assert.Equal("cdc.rows.sales_eu.orders_v2.truncate", subjects.Truncate);

        var perDatabase = new SubjectMapper("cdc", "shop", SubjectTemplate.From("db_{database}.all", includeOperation: true)).For(Orders);
        Assert.Equal("cdc.db_shop.all.delete", perDatabase.Delete);
    }

    [Fact]
    public void Schema_events_and_snapshot_markers_stay_where_consumers_look_for_them()
    {
        var subjects = new SubjectMapper("cdc", "shop", SubjectTemplate.From("rows.{operation}", includeOperation: false)).For(Orders);
        Assert.Equal("cdc.shop.sales_eu.orders_v2._schema", subjects.Schema);
        Assert.Equal("cdc.shop.sales_eu.orders_v2._snapshot", subjects.Snapshot);
    }

    [Theory]
    [InlineData("{schema}.{tabel}", "Cdc:Nats:SubjectTemplate = '{schema}.{tabel}' is not valid: {tabel} is not a placeholder; use {database}, {schema}, {table} or {operation}")]
    [InlineData("a..{table}", "Cdc:Nats:SubjectTemplate = 'a..{table}' is not valid: a token is empty (two dots, or a dot at an end)")]
    [InlineData("{table}.", "Cdc:Nats:SubjectTemplate = '{table}.' is not valid: a token is empty (two dots, or a dot at an end)")]
    [InlineData("all.>", "Cdc:Nats:SubjectTemplate = 'all.>' is not valid: '>' holds a character a subject token cannot (space, '*', '>') or a brace outside a placeholder")]
    [InlineData("{table}._schema", "Cdc:Nats:SubjectTemplate = '{table}._schema' is not valid: '_schema' is a token Cdc publishes schema events, snapshot markers or messages under")]
    [InlineData("{table", "Cdc:Nats:SubjectTemplate = '{table' is not valid: '{table' holds a character a subject token cannot (space, '*', '>') or a brace outside a placeholder")]
    public void A_template_that_is_not_one_is_refused_with_one_line(string template, string expected)
    {
        var e = Assert.Throws<CdcConfigurationException>(() => SubjectTemplate.From(template, includeOperation: false));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void The_operation_twice_is_refused()
    {
        var e = Assert.Throws<CdcConfigurationException>(() => SubjectTemplate.From("{table}.{operation}", includeOperation: true));
        Assert.Contains("set one of them", e.Message, StringComparison.Ordinal);
    }
}
