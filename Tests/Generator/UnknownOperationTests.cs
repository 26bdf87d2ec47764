using System;
using System.Linq;
using NetGen.Generator;
using NetGen.Generator.Emit;
using NetGen.Generator.Emit.Kernels;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>
/// An operation the model holds but an emitter has no code for is a generator bug that stops the
/// generator, never a network compiled to skip it: every per-operation dispatch in Emit throws.
/// </summary>
public class UnknownOperationTests
{
    /// <summary>An operation no emitter knows: elementwise (it would join a kernel's epilogue) or not (it would start a kernel).</summary>
    private sealed record SquareSpec(bool Elementwise) : OpSpec((LocationInfo?)null)
    {
        public override string Kind => "square";
        public override string AttributeName => "Square";
        public override bool IsElementwise => Elementwise;
        public override string Describe() => "square";
    }

    private static NetworkPlan PlanWithSquare(bool elementwise, int columns)
    {
        var (result, _) = GeneratorHarness.Run(("Probe.cs", $$"""
            using NetGen;
            [Network(Channels = 2, Height = 4, Width = 4, Columns = {{columns}})]
            public sealed partial class Net
            {
                [Conv(4, Kernel = 3), Relu] public partial Layer Conv { get; }
                [Dense(4), Relu] public partial Layer Fc1 { get; }
                [Dense(2), Softmax] public partial Layer Fc2 { get; }
            }
            """));
        var analysis = (AnalysisResult)result.TrackedSteps[StepNames.Model].Single().Outputs.Single().Value;
        var model = analysis.Model!;
        // Fc1's ReLU becomes the unknown operation.
        var fc1 = model.Layers[1];
        var relu = fc1.Ops[1];
        var ops = new[] { fc1.Ops[0], relu with { Op = new SquareSpec(elementwise) } }.ToEquatableArray();
        var layers = model.Layers.Select(l => l == fc1 ? l with { Ops = ops } : l).ToEquatableArray();
        return Planner.Plan(model with { Layers = layers });
    }

    [Theory, InlineData(true), InlineData(false)]
    public void EveryEmitterRefusesAnOperationItHasNoCodeFor(bool elementwise)
    {
        var plan = PlanWithSquare(elementwise, columns: 1);
        Assert.Contains(plan.Kernels, k => k.Main.Op is SquareSpec || k.Epilogue.Any(e => e.Op is SquareSpec));
        foreach (var emit in new Func<NetworkPlan, string>[] { KernelEmitter.Emit, BackwardKernelEmitter.Emit, CpuEmitter.Emit })
        {
            var e = Assert.Throws<InvalidOperationException>(() => emit(plan));
            Assert.StartsWith("NetGen generator bug: ", e.Message);
            Assert.Contains("square operation (SquareSpec)", e.Message);
        }
        var split = PlanWithSquare(elementwise, columns: 2);
        Assert.Throws<InvalidOperationException>(() => PartitionEmitter.Emit(split));
    }
}
