from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'batch.asl.json.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_comment = resolve('comment')
    l_0_timeout = resolve('timeout')
    l_0_s = missing
    try:
        t_1 = environment.filters['members']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'members' found.")
    try:
        t_2 = environment.filters['tojson']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'tojson' found.")
    pass
    l_0_s = context.vars['s'] = environment.get_template('_states.j2', 'batch.asl.json.j2').make_module(context.get_all(), True, {'s': l_0_s})
    context.exported_vars.discard('s')
    yield '{\n  "Comment": '
    yield str(t_2((undefined(name='comment') if l_0_comment is missing else l_0_comment)))
    yield ',\n  "StartAt": "Read pointers",\n  "TimeoutSeconds": '
    yield str(t_2((undefined(name='timeout') if l_0_timeout is missing else l_0_timeout)))
    yield ',\n  "States": {'
    l_1_pointers = resolve('pointers')
    l_1_step = resolve('step')
    l_1_approved = resolve('approved')
    l_1_map = resolve('map')
    t_3 = []
    pass
    t_3.extend((
        '\n    ',
        str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'start'), (undefined(name='pointers') if l_1_pointers is missing else l_1_pointers), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'name'))),
    ))
    if (undefined(name='approved') if l_1_approved is missing else l_1_approved):
        pass
        t_3.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'choice'), environment.getattr((undefined(name='approved') if l_1_approved is missing else l_1_approved), 'state'), [environment.getattr((undefined(name='approved') if l_1_approved is missing else l_1_approved), 'check')], environment.getattr(environment.getattr((undefined(name='approved') if l_1_approved is missing else l_1_approved), 'failure'), 'notify_state'))),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='approved') if l_1_approved is missing else l_1_approved), 'failure'))),
        ))
    if (undefined(name='map') if l_1_map is missing else l_1_map):
        pass
        t_3.extend((
            '\n    ',
            str(t_2(environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'name'))),
            ': {\n      "Type": "Map",\n      "Comment": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'comment'))),
            ',\n      "ItemReader": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'item_reader'))),
            ',\n      "ItemBatcher": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'item_batcher'))),
            ',\n      "MaxConcurrency": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'max_concurrency'))),
            ',\n      "ToleratedFailurePercentage": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'tolerated_failure_percent'))),
            ',\n      "ItemProcessor": {\n        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},\n        "StartAt": "Write batch manifest",\n        "States": {',
        ))
        l_2_p = resolve('p')
        l_2_service_retry = resolve('service_retry')
        t_4 = []
        pass
        t_4.extend((
            '\n          ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Write batch manifest', str_join(('arn:', environment.getattr((undefined(name='p') if l_2_p is missing else l_2_p), 'partition'), ':states:::aws-sdk:s3:putObject', )), environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'write_manifest'), 'Score batch', result_path=None, retry=(undefined(name='service_retry') if l_2_service_retry is missing else l_2_service_retry))),
            '\n          ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'task'), 'Score batch', environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'resource'), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'parameters'), None, result_path=None, timeout=environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'timeout'), retry=environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'retry'))),
        ))
        t_3.append(t_1(concat(t_4)))
        l_2_p = l_2_service_retry = missing
        t_3.extend((
            '\n        }\n      },\n      "ResultWriter": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'result_writer'))),
            ',\n      "ResultSelector": ',
            str(t_2(environment.getattr((undefined(name='map') if l_1_map is missing else l_1_map), 'result_selector'))),
            ',\n      "ResultPath": "$.batches",\n      "Catch": ',
            str(t_2([{'ErrorEquals': ['States.ALL'], 'ResultPath': '$.error', 'Next': environment.getattr(environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'failure'), 'notify_state')}])),
            ',\n      "Next": ',
            str(t_2(environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'published_state'))),
            '\n    },\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'publish'), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'published_state'), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'succeeded_event'), 'Done')),
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'notify_and_fail'), environment.getattr((undefined(name='step') if l_1_step is missing else l_1_step), 'failure'))),
        ))
    else:
        pass
        t_3.extend((
            '\n    ',
            str(context.call(environment.getattr((undefined(name='s') if l_0_s is missing else l_0_s), 'step'), (undefined(name='step') if l_1_step is missing else l_1_step))),
        ))
    t_3.append(
        '\n    "Done": {"Type": "Succeed"},',
    )
    yield t_1(concat(t_3))
    l_1_pointers = l_1_step = l_1_approved = l_1_map = missing
    yield '\n  }\n}\n'

blocks = {}
debug_info = '1=26&3=29&5=31&8=41&9=43&10=47&11=49&13=51&14=55&16=57&17=59&18=61&19=63&20=65&26=74&28=76&25=78&33=82&34=84&36=86&37=88&39=90&40=92&42=98&7=103'