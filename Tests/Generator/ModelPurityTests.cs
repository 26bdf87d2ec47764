using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using Microsoft.CodeAnalysis;
using NetGen.Generator;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// The pipeline's values hold no symbol, syntax node, Location or Compilation: any of those would
/// keep the incremental cache from ever matching, and keep whole compilations alive.
/// </summary>
public class ModelPurityTests
{
    [Fact]
    public void PipelineValuesHoldNoCompilerObjects()
    {
        string path = Path.Combine(GeneratorHarness.RepositoryRoot, "Runtime", "Networks", "AlexNet.cs");
        var driver = GeneratorHarness.Driver().RunGenerators(GeneratorHarness.Compile((path, File.ReadAllText(path))));
        var result = driver.GetRunResult().Results.Single();

        string[] ours = [StepNames.Parse, StepNames.Analyze, StepNames.Diagnostics, StepNames.Model, StepNames.Plan];
        var values = ours.SelectMany(name => result.TrackedSteps[name]).SelectMany(s => s.Outputs).Select(o => o.Value).ToList();
        Assert.NotEmpty(values);
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        int visited = 0;
        foreach (var value in values)
            visited += Walk(value, "step output", seen);
        Assert.True(visited > 100, $"walked only {visited} objects: the walk is not reaching the model");
    }

    private static readonly Type[] Forbidden = [typeof(ISymbol), typeof(SyntaxNode), typeof(Location), typeof(Compilation), typeof(SemanticModel), typeof(SyntaxTree)];

    private static int Walk(object? value, string path, HashSet<object> seen)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
            return 0;
        var type = value.GetType();
        Assert.False(Forbidden.Any(f => f.IsAssignableFrom(type)), $"{path} is a {type.Name}");
        if (!type.IsValueType && !seen.Add(value))
            return 0;
        int count = 1;
        if (value is IEnumerable sequence)
        {
            int i = 0;
            foreach (var item in sequence)
                count += Walk(item, $"{path}[{i++}]", seen);
        }
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            count += Walk(field.GetValue(value), $"{path}.{field.Name}", seen);
        return count;
    }
}
