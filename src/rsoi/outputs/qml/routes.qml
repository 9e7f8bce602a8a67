<qgis version="3.22.16" styleCategories="Symbology|Labeling|MapTips|Temporal">
  <!-- rsoi routes: thin context under the flows (horizon totals in the fields; the time-stepped flows layer carries the widths) -->
  <renderer-v2 type="RuleRenderer" symbollevels="0" forceraster="0" enableorderby="0" referencescale="-1">
<rules key="root">
<rule key="r0" filter='"closed"' symbol="0" label="closed all horizon (no open sea path)"/>
<rule key="r1" filter='NOT "closed" AND "flow_t" &lt;= 0 AND @map_start_time IS NULL' symbol="1" label="not used in any period (shown with time off)"/>
<rule key="r2" filter="&quot;flow_t&quot; &gt; 0 AND &quot;mode&quot; = 'sea' AND (@map_start_time IS NULL OR array_contains(string_to_array(&quot;flow_periods&quot;), to_string(${frame_period})))" symbol="2" label="sea route with flow in this period"/>
<rule key="r3" filter="&quot;flow_t&quot; &gt; 0 AND &quot;mode&quot; = 'air' AND (@map_start_time IS NULL OR array_contains(string_to_array(&quot;flow_periods&quot;), to_string(${frame_period})))" symbol="3" label="air route with flow in this period"/>
<rule key="r4" filter="&quot;flow_t&quot; &gt; 0 AND &quot;mode&quot; = 'rail' AND (@map_start_time IS NULL OR array_contains(string_to_array(&quot;flow_periods&quot;), to_string(${frame_period})))" symbol="4" label="rail route with flow in this period"/>
<rule key="r5" filter="&quot;flow_t&quot; &gt; 0 AND &quot;mode&quot; = 'road' AND (@map_start_time IS NULL OR array_contains(string_to_array(&quot;flow_periods&quot;), to_string(${frame_period})))" symbol="5" label="road route with flow in this period"/>
</rules>
<symbols>
<symbol type="line" name="0" alpha="1.0" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="176,0,32,255"/>
<Option type="QString" name="line_style" value="dot"/>
<Option type="QString" name="line_width" value="0.4"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="1" alpha="0.8" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${unused}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.25"/>
<Option type="QString" name="line_width_unit" value="MM"/>
<Option type="QString" name="use_custom_dash" value="1"/>
<Option type="QString" name="customdash" value="1.5;1.5"/>
<Option type="QString" name="customdash_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="2" alpha="0.35" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_sea}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="false"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "flow_t" / nullif(maximum("flow_t"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="3" alpha="0.35" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_air}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="false"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "flow_t" / nullif(maximum("flow_t"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="4" alpha="0.35" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_rail}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="false"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "flow_t" / nullif(maximum("flow_t"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
<symbol type="line" name="5" alpha="0.35" clip_to_extent="1" force_rhr="0">
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option name="properties"/>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
<layer class="SimpleLine" pass="0" locked="0" enabled="1">
<Option type="Map">
<Option type="QString" name="capstyle" value="round"/>
<Option type="QString" name="joinstyle" value="round"/>
<Option type="QString" name="line_color" value="${mode_road}"/>
<Option type="QString" name="line_style" value="solid"/>
<Option type="QString" name="line_width" value="0.3"/>
<Option type="QString" name="line_width_unit" value="MM"/>
</Option>
<data_defined_properties>
<Option type="Map">
<Option type="QString" name="name" value=""/>
<Option type="Map" name="properties">
<Option type="Map" name="outlineWidth">
<Option type="bool" name="active" value="false"/>
<Option type="QString" name="expression" value='coalesce(0.3 + 3.7 * "flow_t" / nullif(maximum("flow_t"), 0), 0.3)'/>
<Option type="int" name="type" value="3"/>
</Option>
</Option>
<Option type="QString" name="type" value="collection"/>
</Option>
</data_defined_properties>
</layer>
</symbol>
</symbols>
</renderer-v2>
  
  
  <!-- temporal "redraw layer only": no filter, but QGIS redraws the layer at every frame (its
       rules read @map_start_time); a non-temporal layer keeps its first frame's cached image -->
  <temporal enabled="1" mode="5" startField="" endField="" accumulate="0" durationField="" durationUnit="min" endExpression="" fixedDuration="0" startExpression="" limitMode="0">
<fixedRange>
<start>
</start>
<end>
</end>
</fixedRange>
</temporal>
  <blendMode>0</blendMode>
<featureBlendMode>0</featureBlendMode>
<layerOpacity>1</layerOpacity>
  <mapTip>&lt;b&gt;[% "id" %]&lt;/b&gt;&lt;br&gt;mode: [% "mode" %]&lt;br&gt;capacity_t: [% "capacity_t" %]&lt;br&gt;flow_t: [% "flow_t" %]&lt;br&gt;peak_utilisation: [% "peak_utilisation" %]&lt;br&gt;distance_km: [% "distance_km" %]</mapTip>
  <previewExpression>"origin_name" || ' → ' || "destination_name" || ' (' || "id" || ')'</previewExpression>
</qgis>
