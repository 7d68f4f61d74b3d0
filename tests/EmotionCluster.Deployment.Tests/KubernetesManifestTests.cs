using EmotionCluster.Hosting;
using EmotionCluster.Management;
using EmotionCluster.Testing;
using Xunit;

namespace EmotionCluster.Deployment.Tests;

/// <summary>
/// Every overlay of k8s/ rendered by <c>kubectl kustomize</c> and checked against the settings classes of
/// src/EmotionCluster.Hosting: names, ports, probes, selectors, discovery RBAC, GPU scheduling.
/// </summary>
public sealed class KubernetesManifestTests
{
    public static TheoryData<string> Overlays => new() { "dev", "dev-download", "prod", "gpu" };

    private static readonly DiscoverySettings DiscoveryDefaults = new();
    private const int RemotingPort = 4053;

    private static List<Workload> NodeWorkloads(Manifests m)
    {
        var nodes = m.NodeWorkloads(DiscoveryDefaults.PortName).ToList();
        Assert.True(nodes.Count >= 3, $"expected extractor, trainer and predictor node workloads, found: {string.Join(", ", nodes)}");
        return nodes;
    }

    private static (Workload W, YamlNode Container, Dictionary<string, string> Env, BoundSettings Settings)[] Nodes(Manifests m) =>
        NodeWorkloads(m).Select(w =>
        {
            YamlNode c = Manifests.NodeContainer(w);
            var env = m.Environment(w, c);
            return (w, c, env, SettingsNames.Bind(env));
        }).ToArray();

    /// <summary>A container port given by name or number, as a probe or Service refers to it.</summary>
    private static int? ResolvePort(YamlNode container, string? nameOrNumber) =>
        int.TryParse(nameOrNumber, out int n) ? container["ports"].Items.Any(p => p["containerPort"].Int == n) ? n : null
        : container["ports"].Items.Where(p => p["name"].Text == nameOrNumber).Select(p => (int?)p["containerPort"].Int).FirstOrDefault();

    private static int PortNamed(YamlNode container, string name) =>
        ResolvePort(container, name) ?? throw new Xunit.Sdk.XunitException($"no container port named '{name}'");

    [Theory, MemberData(nameof(Overlays))]
    public void Every_EmotionCluster_variable_names_a_setting(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var problems = new List<string>();
        foreach (K8sObject cm in m.OfKind("ConfigMap"))
            problems.AddRange(SettingsNames.Problems(cm.Node["data"].StringMap.Keys, $"{overlay} {cm}"));
        foreach (Workload w in m.Workloads)
            foreach (YamlNode c in w.Containers)
                problems.AddRange(SettingsNames.Problems(c["env"].Items.Select(e => e["name"].Text!), $"{overlay} {w} container {c["name"].Text}"));
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Node_containers_bind_valid_settings_for_kubernetes_discovery(string overlay)
    {
        foreach (var (w, container, env, s) in Nodes(Kustomize.Overlay(overlay)))
        {
            var ex = Record.Exception(s.Node.Validate);
            Assert.True(ex is null, $"{overlay} {w}: {ex?.Message}");
            Assert.Equal("0.0.0.0", s.Node.Hostname);
            Assert.Equal("10.0.0.1", s.Node.PublicHostname); // from the downward API's status.podIP
            Assert.Equal("0.0.0.0", s.Http.Hostname);        // the kubelet probes the pod IP
            Assert.Equal(DiscoverySettings.KubernetesMethod, s.Discovery.Method);
            Assert.Empty(s.Node.SeedNodes);
            Assert.True(s.Discovery.RequiredContactPoints >= 1, $"{w}: RequiredContactPoints {s.Discovery.RequiredContactPoints}");
            Assert.Equal("postgres", env.GetValueOrDefault("EmotionCluster__Persistence__Provider"));
            Assert.StartsWith("Host=emotioncluster-postgres;", env.GetValueOrDefault("EmotionCluster__Persistence__ConnectionString"));
            Assert.DoesNotContain("$(", env["EmotionCluster__Persistence__ConnectionString"]); // the password variable was expanded
            Assert.True(container["image"].Text?.Split(':')[0] is "emotioncluster-node" or "emotioncluster-node-cuda",
                $"{w}: image {container["image"].Text}");
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Node_pods_carry_the_discovery_labels_and_a_role_per_component(string overlay)
    {
        foreach (var (w, _, _, s) in Nodes(Kustomize.Overlay(overlay)))
        {
            Assert.Equal("emotioncluster", w.Labels.GetValueOrDefault("app.kubernetes.io/part-of"));
            string component = w.Labels.GetValueOrDefault("app.kubernetes.io/component") ?? "";
            Assert.Contains(component, ClusterRoles.Known);
            Assert.Equal(component, s.Node.Roles.FirstOrDefault());
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Container_ports_are_the_ports_the_node_binds(string overlay)
    {
        foreach (var (_, c, _, s) in Nodes(Kustomize.Overlay(overlay)))
        {
            // NodeSettings.Port defaults to 0 (any free port): containers must set 4053 explicitly.
            Assert.Equal(RemotingPort, s.Node.Port);
            Assert.Equal(s.Node.Port, PortNamed(c, "remoting"));
            Assert.Equal(new HttpSettings().Port, s.Http.Port);
            Assert.Equal(s.Http.Port, PortNamed(c, "http"));
            Assert.Equal(DiscoveryDefaults.ManagementPort, s.Discovery.ManagementPort);
            Assert.Equal(s.Discovery.ManagementPort, PortNamed(c, s.Discovery.PortName));
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Probes_hit_the_health_paths_on_the_http_port(string overlay)
    {
        foreach (var (w, c, _, s) in Nodes(Kustomize.Overlay(overlay)))
        {
            void Check(string probe, string path)
            {
                YamlNode get = c[probe]["httpGet"];
                Assert.False(get.IsMissing, $"{overlay} {w}: no {probe} httpGet");
                Assert.Equal(path, get["path"].Text);
                Assert.Equal(s.Http.Port, ResolvePort(c, get["port"].Text));
            }
            Check("livenessProbe", HttpSettings.LivePath);
            Check("readinessProbe", HttpSettings.ReadyPath);
            if (!c["startupProbe"].IsMissing) Check("startupProbe", HttpSettings.LivePath);
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Shutdown_leaves_time_for_the_prestop_hook_and_coordinated_shutdown(string overlay)
    {
        foreach (var (w, c, _, _) in Nodes(Kustomize.Overlay(overlay)))
        {
            var command = c["lifecycle"]["preStop"]["exec"]["command"].Items.Select(i => i.Text).ToList();
            Assert.True(command is ["sleep", _], $"{overlay} {w}: preStop {string.Join(' ', command)}");
            int sleep = int.Parse(command[1]!);
            int grace = w.PodSpec["terminationGracePeriodSeconds"].Int;
            // The .NET host gives the node's shutdown (Akka coordinated shutdown: leave, hand-off) 30 s by default.
            Assert.True(grace >= sleep + 30, $"{overlay} {w}: grace {grace}s < preStop {sleep}s + 30s of shutdown");
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Services_select_pods_and_target_their_ports(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        foreach (K8sObject svc in m.OfKind("Service"))
        {
            var selected = m.Selected(svc.Spec["selector"].StringMap, svc.Namespace).ToList();
            Assert.True(selected.Count > 0, $"{overlay} {svc} selects no pods");
            foreach (YamlNode port in svc.Spec["ports"].Items)
                foreach (Workload w in selected)
                    Assert.True(w.Containers.Any(c => ResolvePort(c, port["targetPort"].Text ?? port["port"].Text) is not null),
                        $"{overlay} {svc} port {port["name"].Text}: {w} has no container port {port["targetPort"].Text}");
        }
        K8sObject predictor = m.Single("Service", "emotioncluster-predictor");
        Assert.Equal(new HttpSettings().Port, predictor.Spec["ports"][0]["port"].Int);
        Assert.All(m.Selected(predictor.Spec["selector"].StringMap, predictor.Namespace),
            w => Assert.Equal(ClusterRoles.Predictor, w.Labels["app.kubernetes.io/component"]));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Bootstrap_service_is_headless_and_covers_exactly_the_pods_discovery_finds(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var nodes = Nodes(m);
        foreach (var (w, _, _, s) in nodes)
        {
            // The pods Akka.Discovery.KubernetesApi lists: the configured label selector, in the pod's namespace.
            var selector = ParseSelector(s.Discovery.PodLabelSelector);
            Assert.True(string.IsNullOrEmpty(s.Discovery.PodNamespace) || s.Discovery.PodNamespace == w.Namespace);
            var discovered = m.Selected(selector, w.Namespace).Select(x => x.ToString()).Order().ToList();
            Assert.Equal(nodes.Where(n => n.W.Namespace == w.Namespace).Select(n => n.W.ToString()).Order().ToList(), discovered);
        }
        Assert.DoesNotContain(m.Selected(ParseSelector(DiscoveryDefaults.PodLabelSelector), nodes[0].W.Namespace),
            w => w.Owner.Name.Contains("postgres", StringComparison.Ordinal));

        K8sObject bootstrap = m.Single("Service", "emotioncluster-bootstrap");
        Assert.Equal("None", bootstrap.Spec["clusterIP"].Text);
        Assert.Equal("true", bootstrap.Spec["publishNotReadyAddresses"].Text);
        Assert.Contains(bootstrap.Spec["ports"].Items, p => p["port"].Int == DiscoveryDefaults.ManagementPort);
        Assert.Equal(nodes.Select(n => n.W.ToString()).Order(),
            m.Selected(bootstrap.Spec["selector"].StringMap, bootstrap.Namespace).Select(w => w.ToString()).Order());
    }

    private static Dictionary<string, string> ParseSelector(string selector) =>
        selector.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    [Theory, MemberData(nameof(Overlays))]
    public void Node_pods_may_list_pods_through_their_service_account(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        foreach (Workload w in NodeWorkloads(m))
        {
            string? account = w.PodSpec["serviceAccountName"].Text;
            Assert.False(string.IsNullOrEmpty(account), $"{overlay} {w}: no serviceAccountName");
            Assert.Contains(m.OfKind("ServiceAccount"), sa => sa.Name == account && sa.Namespace == w.Namespace);
            var bindings = m.OfKind("RoleBinding").Where(b => b.Namespace == w.Namespace && b.Node["subjects"].Items.Any(subject =>
                subject["kind"].Text == "ServiceAccount" && subject["name"].Text == account && subject["namespace"].Text == w.Namespace)).ToList();
            Assert.True(bindings.Count > 0, $"{overlay} {w}: no RoleBinding for ServiceAccount {w.Namespace}/{account}");
            bool canListPods = bindings.Any(b =>
            {
                YamlNode roleRef = b.Node["roleRef"];
                var role = m.OfKind(roleRef["kind"].Text!).SingleOrDefault(r => r.Name == roleRef["name"].Text && r.Namespace == w.Namespace);
                return role is not null && role.Node["rules"].Items.Any(rule =>
                    rule["apiGroups"].Items.Any(g => g.Text == "") &&
                    rule["resources"].Items.Any(r => r.Text == "pods") &&
                    new[] { "get", "list", "watch" }.All(v => rule["verbs"].Items.Any(x => x.Text == v)));
            });
            Assert.True(canListPods, $"{overlay} {w}: the bound Role does not grant get/list/watch on pods");
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_namespaced_object_is_in_a_namespace_the_overlay_creates(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var namespaces = m.OfKind("Namespace").Select(n => n.Name).ToList();
        Assert.Single(namespaces);
        foreach (K8sObject o in m.Objects.Where(o => o.Kind != "Namespace"))
            Assert.True(o.Namespace == namespaces[0], $"{overlay} {o} is in namespace '{o.Namespace}', not {namespaces[0]}");
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Referenced_secrets_exist_or_are_created_as_the_overlay_says(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var refs = m.Workloads.SelectMany(w => w.Containers.SelectMany(c => c["env"].Items)
                .Select(e => e["valueFrom"]["secretKeyRef"]).Where(r => !r.IsMissing)
                .Select(r => (Name: r["name"].Text!, Key: r["key"].Text!, w.Namespace)))
            .Distinct().ToList();
        Assert.NotEmpty(refs);
        string prodInstructions = File.ReadAllText(Path.Combine(Datasets.RepoRoot, "k8s", "overlays", "prod", "kustomization.yaml"));
        foreach (var (name, key, ns) in refs)
        {
            if (m.SecretData(name, ns) is { } data)
                Assert.True(data.ContainsKey(key), $"{overlay}: Secret {name} lacks key {key}");
            else
                Assert.True(prodInstructions.Contains($"create secret generic {name}") && prodInstructions.Contains($"--from-literal={key}="),
                    $"{overlay}: Secret {name} (key {key}) is neither rendered nor in the creation command of k8s/overlays/prod");
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Extractors_autoscale_on_cpu(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        K8sObject hpa = m.OfKind("HorizontalPodAutoscaler").Single();
        YamlNode target = hpa.Spec["scaleTargetRef"];
        K8sObject scaled = m.Single(target["kind"].Text!, target["name"].Text!);
        var w = new Workload(scaled);
        Assert.Equal(ClusterRoles.Extractor, w.Labels["app.kubernetes.io/component"]);
        // The autoscaler owns the replica count: a replicas field would be reset by every apply.
        Assert.True(scaled.Spec["replicas"].IsMissing, $"{overlay} {scaled} sets replicas although {hpa} scales it");
        Assert.Contains(hpa.Spec["metrics"].Items, x => x["resource"]["name"].Text == "cpu");
        Assert.False(Manifests.NodeContainer(w)["resources"]["requests"]["cpu"].IsMissing, "CPU utilisation needs a CPU request");
        Assert.InRange(hpa.Spec["minReplicas"].Int, 2, hpa.Spec["maxReplicas"].Int);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Scraped_pods_serve_metrics_on_the_annotated_port_without_credentials_and_keep_the_api_guarded(string overlay)
    {
        int scraped = 0;
        foreach (var (w, c, _, s) in Nodes(Kustomize.Overlay(overlay)))
        {
            var annotations = w.Template["metadata"]["annotations"].StringMap;
            if (annotations.GetValueOrDefault("prometheus.io/scrape") != "true") continue;
            scraped++;
            Assert.Equal(HttpSettings.MetricsPath, annotations.GetValueOrDefault("prometheus.io/path"));
            Assert.Equal(s.Http.Port, ResolvePort(c, annotations.GetValueOrDefault("prometheus.io/port")));
            var ex = Record.Exception(s.Http.Validate);
            Assert.True(ex is null, $"{overlay} {w}: {ex?.Message}");
            // Annotation-based scraping sends no Authorization header: the node's own token rule must let it through ...
            TokenCheck check = TokenCheck.For(s.Http);
            Assert.True(check.Enabled, $"{overlay} {w}: no EmotionCluster__Http__Token; the management API would be open on 0.0.0.0");
            string? refusal = check.Refusal(HttpSettings.MetricsPath, null);
            Assert.True(refusal is null, $"{overlay} {w}: a scrape without credentials gets 401 ({refusal}); " +
                "set EmotionCluster__Http__PublicMetrics=true or drop the prometheus.io annotations");
            // ... and nothing else.
            Assert.NotNull(check.Refusal("/api/cluster", null));
            Assert.NotNull(check.Refusal("/api/cluster/down", null));
        }
        Assert.True(scraped >= 3, $"{overlay}: {scraped} node workloads are scraped; expected extractor, trainer and predictor");
    }

    [Theory]
    [InlineData("dev", false)]
    [InlineData("prod", false)]
    [InlineData("gpu", true)]
    public void Only_the_gpu_overlay_gives_the_trainer_a_gpu(string overlay, bool gpu)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var trainer = m.Workloads.Single(w => w.Labels.GetValueOrDefault("app.kubernetes.io/component") == ClusterRoles.Trainer);
        YamlNode container = Manifests.NodeContainer(trainer);
        string? limit = container["resources"]["limits"]["nvidia.com/gpu"].Text;
        if (!gpu)
        {
            Assert.DoesNotContain(m.Workloads.SelectMany(w => w.Containers), c =>
                !c["resources"]["limits"]["nvidia.com/gpu"].IsMissing || !c["resources"]["requests"]["nvidia.com/gpu"].IsMissing);
            return;
        }
        Assert.Equal("1", limit);
        // Extended resources are scheduled by their request, which must equal the limit.
        Assert.Equal("1", container["resources"]["requests"]["nvidia.com/gpu"].Text);
        Assert.False(trainer.PodSpec["nodeSelector"].IsMissing, "GPU trainer without nodeSelector");
        Assert.Contains(trainer.PodSpec["tolerations"].Items, t => t["key"].Text == "nvidia.com/gpu");
        Assert.StartsWith("emotioncluster-node-cuda:", container["image"].Text);
        Assert.Single(m.Workloads.SelectMany(w => w.Containers), c => !c["resources"]["limits"]["nvidia.com/gpu"].IsMissing);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Pods_run_under_RuntimeDefault_seccomp_with_pinned_images(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var pods = m.Objects.Where(o => o.Kind is "Deployment" or "StatefulSet" or "Job").ToList();
        Assert.Contains(pods, o => o.Kind == "Job");
        foreach (K8sObject o in pods)
        {
            YamlNode pod = o.Node["spec"]["template"]["spec"];
            Assert.True(pod["securityContext"]["seccompProfile"]["type"].Text == "RuntimeDefault", $"{overlay} {o}: no seccompProfile RuntimeDefault");
            foreach (YamlNode c in pod["containers"].Items.Concat(pod["initContainers"].Items))
            {
                string image = c["image"].Text!;
                Assert.True(image.Contains(':') && !image.EndsWith(":latest", StringComparison.Ordinal), $"{overlay} {o}: image {image} is not pinned");
            }
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Remoting_runs_over_TLS_from_a_mounted_Secret_and_only_between_node_pods(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        foreach (var (w, container, env, s) in Nodes(m))
        {
            Assert.True(s.Node.TlsEnabled, $"{overlay} {w}: remoting without TLS");
            string mount = Path.GetDirectoryName(s.Node.TlsCertificate)!;
            Assert.Equal(mount, Path.GetDirectoryName(s.Node.TlsCertificatePasswordFile));
            YamlNode volumeMount = container["volumeMounts"].Items.Single(v => v["mountPath"].Text == mount);
            YamlNode volume = w.PodSpec["volumes"].Items.Single(v => v["name"].Text == volumeMount["name"].Text);
            string secret = volume["secret"]["secretName"].Text!;
            if (m.SecretData(secret, w.Namespace) is { } data)
                Assert.Equal(new[] { "cluster.pfx", "password" }, data.Keys.Order());
            else
                Assert.Contains($"create secret generic {secret} --from-file=cluster.pfx --from-file=password=", File.ReadAllText(Path.Combine(Datasets.RepoRoot, "k8s", "overlays", "prod", "kustomization.yaml")));
        }
        var policy = m.OfKind("NetworkPolicy").Single(p => p.Name == "emotioncluster-nodes").Node["spec"];
        Assert.Equal("emotioncluster", policy["podSelector"]["matchLabels"].StringMap["app.kubernetes.io/part-of"]);
        var remoting = policy["ingress"].Items.Single(r => r["ports"].Items.Any(p => p["port"].Int == RemotingPort));
        Assert.Equal("emotioncluster", Assert.Single(remoting["from"].Items)["podSelector"]["matchLabels"].StringMap["app.kubernetes.io/part-of"]);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Thread_counts_follow_the_CPU_limit_and_the_flow_is_wired(string overlay)
    {
        Manifests m = Kustomize.Overlay(overlay);
        var nodes = Nodes(m);
        string Limit(YamlNode c) => c["resources"]["limits"]["cpu"].Text ?? throw new Xunit.Sdk.XunitException($"{overlay}: {c["name"].Text} has no CPU limit");
        var extractor = nodes.Single(n => n.Env["EmotionCluster__Node__Roles__0"] == ClusterRoles.Extractor);
        Assert.Equal(Limit(extractor.Container), extractor.Env["EmotionCluster__Node__ExtractionThreads"]);
        var trainer = nodes.Single(n => n.Env["EmotionCluster__Node__Roles__0"] == ClusterRoles.Trainer);
        Assert.Equal(Limit(trainer.Container), trainer.Env["EmotionCluster__Training__Threads"]);
        var predictor = nodes.Single(n => n.Env["EmotionCluster__Node__Roles__0"] == ClusterRoles.Predictor);
        Assert.Equal(Limit(predictor.Container), predictor.Env["EmotionCluster__Streaming__FeatureThreads"]);

        // prepare Job → manifest on the claim → trainer (a StatefulSet on that claim) → best model → predictors (ready only with a model)
        Assert.Equal("StatefulSet", trainer.W.Owner.Kind);
        var job = m.Objects.Single(o => o.Kind == "Job").Node["spec"]["template"]["spec"];
        var args = job["containers"].Items.Single()["args"].Items.Select(a => a.Text!).ToList();
        string manifest = args[args.IndexOf("--manifest") + 1], store = args[args.IndexOf("--store") + 1];
        Assert.Equal(manifest, trainer.Env["EmotionCluster__Training__Manifest"]);
        Assert.Equal(store, trainer.Env["EmotionCluster__Node__FeatureStorePath"]);
        string Claim(YamlNode pod) => pod["volumes"].Items.Single(v => v["name"].Text == "data")["persistentVolumeClaim"]["claimName"].Text!;
        Assert.Equal(Claim(job), Claim(trainer.W.PodSpec));
        Assert.Contains(m.OfKind("PersistentVolumeClaim"), c => c.Name == Claim(job));
        Assert.StartsWith("/data/", trainer.Env["EmotionCluster__Training__BestModelOutput"]);
        Assert.Equal("true", predictor.Env["EmotionCluster__Streaming__RequireModelForReadiness"]);
        Assert.Equal(overlay == "gpu" ? "cuda" : null, trainer.Env.GetValueOrDefault("EmotionCluster__Training__Device"));
        var pdb = m.OfKind("PodDisruptionBudget").Single(p => p.Name == "emotioncluster-predictor").Node["spec"];
        Assert.Equal(ClusterRoles.Predictor, pdb["selector"]["matchLabels"].StringMap["app.kubernetes.io/component"]);
    }
}
