using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Generator;
using NetGen.Generator.Emit.Kernels.Backward;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

using Shape = NetGen.Generator.Model.Shape;

/// <summary>
/// Every operation is one unit the generator finds by its attribute. What an operation must say is
/// abstract, so leaving it out is a compile error; what only some operations have (tensor
/// gradients, gates) throws a generator bug when asked of one without it, never a silent default.
/// </summary>
public class OperationCatalogTests
{
    [Fact]
    public void EveryOperationAttributeOfTheRuntimeHasAnOperationThatReadsIt()
    {
        var attributes = typeof(NetGen.OperationAttribute).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(NetGen.OperationAttribute)))
            .Select(t => t.Name)
            .OrderBy(n => n)
            .ToList();
        Assert.Contains("LeakyReluAttribute", attributes);
        Assert.Equal(attributes, OperationCatalog.AttributeNames.OrderBy(n => n));
    }

    [Fact]
    public void EveryAttributeWithARequiredArgumentGivesAnExample()
    {
        // NG0024 suggests the example when a required constructor argument is left out ("MaxPool(2)").
        var required = typeof(NetGen.OperationAttribute).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && t.IsSubclassOf(typeof(NetGen.OperationAttribute)))
            .Where(t => t.GetConstructors().Any(c => c.GetParameters().Any(p => !p.HasDefaultValue)))
            .ToList();
        Assert.Contains(typeof(NetGen.MaxPoolAttribute), required);
        foreach (var type in required)
        {
            string name = type.Name[..^"Attribute".Length];
            Assert.StartsWith(name + "(", OperationCatalog.Example(type.Name) ?? $"{type.Name} gives no example");
        }
    }

    /// <summary>An operation with a tensor but no gradient code for it: only the compiler's required members.</summary>
    private sealed record Scale(LocationInfo? Location) : MainOperation(Location)
    {
        public override string Kind => "scale";
        public override string AttributeName => "Scale";
        public override string Describe() => "scale";
        public override void Check(RangeCheck check, string who) { }
        public override Shape? Infer(ShapeRule rule) => rule.Input;
        public override IReadOnlyList<TensorSpec> Tensors(Shape input, Shape output) =>
            [new("scale", new[] { 1 }.ToEquatableArray(), 1f, 0f, 1f, 0f, Trainable: true)];
        public override void WriteKernel(KernelWriting k) => k.W.Line("float value = input[index] * scale[0];");
        public override void WriteInputGradient(KernelWriting k) => k.W.Line("float gradient = delta[index] * scale[0];");
        public override string? CpuGeometry(string method, Shape input, Shape output, int groups, int columnChannels) => null;
        public override void WriteCpuForward(CpuStep s) { }
        public override void WriteCpuBackward(CpuStep s) { }
        public override void WriteOnnx(NetGen.Generator.Emit.Interchange.OnnxWriting o) => o.Node("Mul", Kind, [o.Current, o.Tensor("scale")]);
        public override void WritePyTorch(NetGen.Generator.Emit.Interchange.PyTorchWriting p) => p.Assign("h * scale", Kind);
    }

    [Fact]
    public void AnOperationWithATensorButNoGradientCodeIsAGeneratorBug()
    {
        var (result, _) = GeneratorHarness.Run(("Probe.cs", """
            using NetGen;
            [Network(Channels = 2, Height = 4, Width = 4)]
            public sealed partial class Net
            {
                [Dense(4), Relu] public partial Layer Fc1 { get; }
                [Dense(2), Softmax] public partial Layer Fc2 { get; }
            }
            """));
        var model = ((AnalysisResult)result.TrackedSteps[StepNames.Model].Single().Outputs.Single().Value).Model!;
        var fc1 = model.Layers[0];
        var scale = fc1.Ops[0] with { Op = new Scale(null), Output = fc1.Ops[0].Input };
        var layer = fc1 with { Ops = new[] { fc1.Ops[0], fc1.Ops[1], scale }.ToEquatableArray() };
        var e = Assert.Throws<InvalidOperationException>(() =>
            BackwardKernelEmitter.Emit(Planner.Plan(model with { Layers = model.Layers.Select(l => l == fc1 ? layer : l).ToEquatableArray() })));
        Assert.Equal("NetGen generator bug: Scale declares parameter tensors but writes no gradient for them.", e.Message);
    }
}
