using System.Linq;
using System.Text.RegularExpressions;
using static NetGen.Tests.Interchange.OnnxModelBuilder;

namespace NetGen.Tests.Interchange;

/// <summary>How imported layers are named: from NetGen's node names, PyTorch's weight names, or by number; never a name the class already has.</summary>
public class OnnxImportNamingTests
{
    [Theory]
    [InlineData("conv1/conv", "stem.weight", "Conv1")]             // NetGen's own node name
    [InlineData("/stem/Conv", "stem.0.weight", "Stem0")]           // PyTorch's: the weight's module path
    [InlineData("Conv_0", "onnx::Conv_7", "Layer1")]               // neither
    [InlineData("info/conv", "x.weight", "InfoLayer")]             // a member the generated class has already
    [InlineData("net/conv", "net.weight", "Net_2")]                // the class's own name
    public void TheFirstLayerIsNamed(string node, string weight, string name) =>
        Assert.Equal([name, "Fc"], Members(Model(node, weight, "fc/dense", "fc.weight"), "Net"));

    [Fact]
    public void ANameTwoLayersWouldShareNamesNeither()
    {
        // A converter that puts every node under model/: the weights' names, then numbers.
        Assert.Equal(["Conv", "Layer2"], Members(Model("model/conv", "conv.weight", "model/dense", "model/dense/kernel"), "Net"));
    }

    private static OnnxModelBuilder Model(string convNode, string convWeight, string denseNode, string denseWeight)
    {
        var b = new OnnxModelBuilder();
        string x = b.Node("Conv", convNode, [b.Input("input", 1, 3, 3), b.Random(convWeight, 0.5f, 2, 1, 3, 3)], "c", Ints("kernel_shape", 3, 3));
        x = b.Node("Flatten", "flatten", [x], "f", Int("axis", 1));
        b.Output(b.Node("Gemm", denseNode, [x, b.Random(denseWeight, 0.5f, 2, 2)], "output", Int("transB", 1)));
        return b;
    }

    private static string[] Members(OnnxModelBuilder model, string className) =>
        Regex.Matches(OnnxImport.Read(model.Build(), "model.onnx", className).Declaration, @"public partial Layer (\w+)").Select(m => m.Groups[1].Value).ToArray();
}
